"""Deadlines: the configurable timelines, the dates a report or a case must meet, and when each is due an alert.

May import: the kernel.
"""
