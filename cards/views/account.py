"""The signed-in user's own settings: how they are told about their requests."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cards.forms.account import ChannelsForm
from cards.forms.portal import add_service_errors
from providers.services import person_update_channels


def notification_settings(request):
    """Email on or off, SMS on or off with a mobile number, and the language of the
    messages; in-app messages are always on. Every role has this page."""
    person = request.user
    form = ChannelsForm.for_person(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person_update_channels(
                person=person,
                notify_email=data["notify_email"] and bool(person.email),
                notify_sms=data["notify_sms"],
                phone=data["phone"],
                language=data["language"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("account:notifications")
    status = 400 if form.errors else 200
    return render(
        request, "cards/account/notifications.html", {"form": form}, status=status
    )
