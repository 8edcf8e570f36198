"""Unit tests of casecore/people/."""
