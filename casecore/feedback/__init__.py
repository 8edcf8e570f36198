"""Feedback from the community: answers tied to the survey that asked them, and the figures per service.

May import: the kernel, people, messaging, deadlines, directory, reports, cases.
"""
