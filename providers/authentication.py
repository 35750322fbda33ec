"""How the API knows who is calling.

- Tokens are for provider integrations (the provider's medical software files a
  request the moment the reader shows error 15 or 5). CAS staff cannot use them:
  the token endpoint refuses to issue one to a staff account, and a staff token
  made any other way (the admin, an older release) is refused. A token is a
  password that never expires and skips the second factor and the idle timeout,
  which staff sign-ins must not.
- Sessions are for the web pages. A staff session counts only once verified with
  a TOTP code; before that the API answers 403.
"""

import hashlib

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from cards.services.versions import kept_for_sign_in
from providers.security import needs_two_factor

STAFF_TOKENS_REFUSED = gettext_lazy(
    "API tokens are for provider integrations. CAS staff use the web pages, "
    "signed in with a password and an authentication code."
)


class IntegrationTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`, for provider agents only."""

    def authenticate_credentials(self, key):
        # DRF's own check. The agent comes with their provider, its house and
        # their location, which filing needs, and is kept by each process under
        # sign-in's version (cards.services.versions), which a deleted token
        # or any change to a person moves once it commits.
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        token = kept_for_sign_in(digest, lambda: self._token(key))
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if needs_two_factor(user):
            raise AuthenticationFailed(STAFF_TOKENS_REFUSED)
        return user, token

    def _token(self, key):
        model = self.get_model()
        try:
            return model.objects.select_related(
                "user", "user__provider__house", "user__location"
            ).get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None


class VerifiedSessionAuthentication(SessionAuthentication):
    """The web session (with its CSRF check); a staff session must have passed
    the code step."""

    def authenticate(self, request):
        result = super().authenticate(request)
        user = result[0] if result else None
        if user is not None and needs_two_factor(user) and not user.is_verified():
            raise PermissionDenied(
                _("Finish signing in: enter the code from your authenticator app.")
            )
        return result
