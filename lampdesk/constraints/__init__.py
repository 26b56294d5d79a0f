"""Constraints: what the user cannot or will not have, found in the profile and kept out of
every answer (while the model writes, and once more on the finished answer)."""
