"""The brain: the one place that talks to AI providers and holds their keys."""
