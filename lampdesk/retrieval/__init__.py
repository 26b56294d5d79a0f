"""Finding the profile items that matter for a question: sparse, dense, fused."""
