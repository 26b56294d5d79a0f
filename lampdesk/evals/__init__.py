"""Measurements: retrieval quality on LoCoMo-format conversations, and speed at scale."""
