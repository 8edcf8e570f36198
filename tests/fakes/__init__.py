"""Fakes at the network edge: small HTTP servers that answer like the providers do."""
