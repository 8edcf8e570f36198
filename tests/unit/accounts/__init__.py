"""Unit tests of casecore/accounts/."""
