"""Conversations with the community, declared once and rendered by each channel."""
