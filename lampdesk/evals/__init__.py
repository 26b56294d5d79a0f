"""Evaluations and benchmarks: commands that measure; never timed assertions in the tests."""
