"""Unit tests of casecore/cases/."""
