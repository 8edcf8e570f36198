"""Feedback answers and their figures on a real database."""
