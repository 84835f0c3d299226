"""moviegen — a terminal-first AI film studio."""

__version__ = "0.1.0"
