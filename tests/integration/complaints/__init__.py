"""Complaints on a real database: intake, categories, handling by the focal point, figures."""
