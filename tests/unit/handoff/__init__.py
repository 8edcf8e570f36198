"""Unit tests of casecore/handoff/."""
