"""Typed errors raised by casecore services; each entry point translates them at its edge."""


class CaseCoreError(Exception):
    """Base class for every domain error."""


class NotFound(CaseCoreError):
    """A record asked for does not exist (or is not visible to the caller)."""


class InvalidInput(CaseCoreError):
    """A value given to a service is not acceptable; the message says why."""


class InvalidPhoneNumber(InvalidInput):
    """A phone number that cannot be read as a valid number."""


class NoOrganisation(CaseCoreError):
    """No organisation is configured to receive community reports."""


class NotAllowed(CaseCoreError):
    """The person asking may not do this: their role or their organisation does not allow it."""


class Conflict(CaseCoreError):
    """The change would break a uniqueness rule (e.g. an email already in use)."""


class Refused(InvalidInput):
    """A change the case's state does not allow; code names the rule, so the web view can word it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class InvalidFilter(InvalidInput):
    """A list's filter given a value not in its list; name says which filter, so the page can word it."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
