"""Domain errors raised by the services. The API's exception handler and the
views turn them into 409/403 responses or messages."""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """Base class: `message` is shown to the user, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(DomainError):
    """The request's current status forbids the action (HTTP 409)."""


class AlreadyClaimed(TransitionNotAllowed):
    """Another specialist claimed the request first (HTTP 409)."""

    def __init__(self, *, by: str) -> None:
        super().__init__(_("Already claimed by %(name)s.") % {"name": by})
        self.by = by


class PermissionDenied(DomainError):
    """The actor sees the request but their role may not do this (HTTP 403)."""

    def __init__(self, *, action: str) -> None:
        super().__init__(_("Your role does not allow this action here."))
        self.action = action


class DuplicateElsewhere(DomainError):
    """An open request for the card exists at another provider (HTTP 409)."""
