"""Writes on people and providers."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from providers.models import Office, Person
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


# The office fields a supervisor sets: target time, hours and public contact data.
OFFICE_SETTINGS = (
    "name",
    "phones",
    "email",
    "hours",
    "opens_at",
    "closes_at",
    "friday_closes_at",
    "sla_minutes",
)


def office_update_settings(*, actor: Person, office: Office, **settings) -> Office:
    """Save an office's target time, hours and contact data, for a supervisor of
    its house or a national admin. Phone numbers are checked and stored as people
    read them out ("0736 203 666"), as the public pages show them. Due times of
    requests already filed stay as they were; new ones count with these."""
    from cards.exceptions import PermissionDenied
    from cards.permissions import Action, can_in_house

    if not can_in_house(actor, Action.MANAGE_OFFICES, office.house_id):
        raise PermissionDenied(action=Action.MANAGE_OFFICES)
    unknown = set(settings) - set(OFFICE_SETTINGS)
    if unknown:
        raise TypeError(f"not office settings: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    phones = []
    for phone in settings.get("phones", office.phones):
        try:
            number = phonenumbers.parse(normalize_phone(phone))
            phones.append(
                phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.NATIONAL
                )
            )
        except ValidationError as error:
            errors.setdefault("phones", []).extend(
                f"{phone}: {message}" for message in error.messages
            )
    settings["phones"] = phones
    for name, value in settings.items():
        setattr(office, name, value)
    try:
        office.full_clean(exclude=["house", "kind"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        office.refresh_from_db()
        raise ValidationError(errors)
    office.save(update_fields=list(settings))
    return office
