"""Matching and precise push: embeddings, a hybrid ranker, explanations, pushes and feedback."""
