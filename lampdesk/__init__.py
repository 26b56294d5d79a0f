"""LampDesk: a local-first personal assistant."""

__version__ = "0.1.0"
