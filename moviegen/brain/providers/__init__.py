"""Providers, registered as plugins — the built-in offline ones included."""
