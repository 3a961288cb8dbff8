"""Dashboards: where an operator and an organization's members land after signing in."""
