"""The notification settings form. It reads and shapes input only: the rules
(a valid mobile number for SMS) are checked by `person_update_channels`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import Person

LANGUAGE_CHOICES = Person._meta.get_field("language").choices


class ChannelsForm(forms.Form):
    notify_email = forms.BooleanField(
        label=_("Send me messages by email"), required=False
    )
    notify_sms = forms.BooleanField(label=_("Send me messages by SMS"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=32,
        help_text=_("For example 0736 203 666 or +40 736 203 666."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the messages"), choices=LANGUAGE_CHOICES
    )

    @classmethod
    def for_person(cls, person: Person, data=None) -> "ChannelsForm":
        initial = {
            "notify_email": person.notify_email,
            "notify_sms": person.notify_sms,
            "phone": person.phone,
            "language": person.language,
        }
        form = cls(data, initial=initial)
        if not person.email:
            form.fields["notify_email"].disabled = True
            form.fields["notify_email"].help_text = _(
                "Your account has no email address: ask your administrator to add it."
            )
        return form
