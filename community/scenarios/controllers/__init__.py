"""Scenario zone pages and API: one small module per part."""
