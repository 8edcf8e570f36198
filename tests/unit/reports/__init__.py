"""Unit tests of casecore/reports/."""
