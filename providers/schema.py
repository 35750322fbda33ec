"""OpenAPI (drf-spectacular) descriptions of the API's authentication classes."""

from drf_spectacular.authentication import SessionScheme


class VerifiedSessionScheme(SessionScheme):
    """The web session cookie (staff sessions verified with a code)."""

    target_class = "providers.authentication.VerifiedSessionAuthentication"
