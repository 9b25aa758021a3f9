"""Scenario zone services: scenarios, capability profiles, list issues, interest, dashboards, imports."""
