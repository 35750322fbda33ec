"""Signing in: the password step, then, for CAS staff, the TOTP code step (or, the
first time, enrolling an authenticator app). Until the code step is done a staff
session reaches nothing else (providers.middleware)."""

from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from providers.forms import CodeForm
from providers.security import needs_two_factor


def _next_url(request) -> str:
    """Where to go once signed in: a safe `next`, else the role's home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    """The password step. Django's login() gives the session a new key; staff
    then go on to the code step with where they were going."""

    redirect_authenticated_user = True

    def get_success_url(self):
        url = super().get_success_url()
        if needs_two_factor(self.request.user):
            return _with_next("otp:verify", url)
        return url


def _code_checked(request, form: CodeForm, device: TOTPDevice) -> bool:
    """Check the code against the device (once: django-otp refuses a code of a
    time step already used, and slows down repeated failures). On success the
    session is marked verified and given a new key."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        form.add_error(
            "code",
            _("Too many wrong codes in a row. Wait a minute, then enter a new code."),
        )
        return False
    checked = django_otp.verify_token(
        request.user, device.persistent_id, form.code_value
    )
    if checked is None:
        form.add_error(
            "code",
            _(
                "This code is not right, or it was already used. Enter the code "
                "your app shows now."
            ),
        )
        return False
    device.refresh_from_db()
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    django_otp.login(request, device)
    request.session.cycle_key()
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The code step for staff who have an authenticator app."""
    person, next_url = request.user, _next_url(request)
    if not needs_two_factor(person) or person.is_verified():
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        return redirect(_with_next("otp:setup", next_url))
    form = CodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _code_checked(request, form, device)
    ):
        return redirect(next_url)
    status = 400 if form.errors else 200
    context = {"form": form, "next": next_url}
    return render(request, "registration/otp_verify.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """The first sign-in of a staff member: a new secret shown as text and as a QR
    code; one right code confirms it. Only for someone with no confirmed device:
    a password alone never replaces an enrolled app (an admin deletes a lost one)."""
    person, next_url = request.user, _next_url(request)
    if not needs_two_factor(person) or person.is_verified():
        return redirect(next_url)
    if TOTPDevice.objects.filter(user=person, confirmed=True).exists():
        return redirect(_with_next("otp:verify", next_url))
    device = TOTPDevice.objects.filter(user=person, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=person, name=_("Authenticator app"), confirmed=False
        )
    form = CodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _code_checked(request, form, device)
    ):
        return redirect(next_url)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "next": next_url,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "qr_data_uri": segno.make(device.config_url, error="m").svg_data_uri(
            scale=5, border=2
        ),
    }
    status = 400 if form.errors else 200
    return render(request, "registration/otp_setup.html", context, status=status)
