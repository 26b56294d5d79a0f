"""Turning the profile and the retrieved items into the exact messages sent to the model."""
