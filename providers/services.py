"""Writes on people and providers."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from providers.models import Person
from providers.validators import normalize_phone

_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def person_update_channels(
    *,
    person: Person,
    notify_email: bool,
    notify_sms: bool,
    phone: str,
    language: str,
) -> Person:
    """Save how a person is told about their requests: in the app always, by email
    and SMS as chosen; SMS needs a valid mobile number, stored in E.164."""
    errors: dict[str, list[str]] = {}
    normalized = ""
    if phone.strip():
        try:
            normalized = normalize_phone(phone)
        except ValidationError as error:
            errors["phone"] = error.messages
        else:
            number = phonenumbers.parse(normalized)
            if notify_sms and phonenumbers.number_type(number) not in _MOBILE_TYPES:
                errors["phone"] = [
                    _("SMS messages need a mobile number; this one is a landline.")
                ]
    if notify_sms and not phone.strip():
        errors["phone"] = [_("Enter the mobile number the SMS messages go to.")]
    valid_languages = {
        code for code, _label in Person._meta.get_field("language").choices
    }
    if language not in valid_languages:
        errors["language"] = [_("Choose Romanian or English.")]
    if errors:
        raise ValidationError(errors)
    person.notify_email = notify_email
    person.notify_sms = notify_sms
    person.phone = normalized
    person.language = language
    person.save(update_fields=["notify_email", "notify_sms", "phone", "language"])
    return person
