"""Unit tests of casecore/messaging/."""
