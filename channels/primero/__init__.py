"""Primero (CPIMS+) API v2: the calls the hand-off makes, in Primero's own request and answer formats."""
