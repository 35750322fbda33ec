"""Formats of the identifiers the helpdesk handles. Each normaliser returns the
canonical form or raises ValidationError with a message saying what to type instead.
Messages never repeat the value typed: it may be a personal identifier."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ro import cnp, cui

CID_LENGTH = 20
CARD_NUMBER_LENGTH = 16
_SEPARATORS = re.compile(r"[\s.\-/]+")
_PARAFA = re.compile(r"^[A-Z0-9]{5,6}$")


def _looks_like_cnp(value: str) -> bool:
    return len(value) == 13 and cnp.is_valid(value)


def normalize_cui(value: str) -> str:
    """A Romanian fiscal code: digits with a valid check digit, `RO` prefix dropped."""
    compact = _SEPARATORS.sub("", value or "").upper().removeprefix("RO")
    if not compact:
        raise ValidationError(_("Enter the fiscal code (CUI)."), code="required")
    if not compact.isdigit() or not 2 <= len(compact) <= 10:
        raise ValidationError(
            _("A fiscal code (CUI) has 2 to 10 digits, optionally after RO."),
            code="format",
        )
    try:
        return cui.validate(compact)
    except StdnumError:
        raise ValidationError(
            _("This fiscal code (CUI) has a wrong check digit: check it for a typo."),
            code="checksum",
        ) from None


def validate_cui(value: str) -> None:
    normalize_cui(value)


def normalize_cid(value: str) -> str:
    """The insured person's code printed on the card: exactly 20 digits."""
    compact = _SEPARATORS.sub("", value or "")
    if not compact:
        raise ValidationError(
            _("Enter the CID: the 20-digit code printed on the card."), code="required"
        )
    if _looks_like_cnp(compact):
        raise ValidationError(
            _(
                "This is a CNP (personal numeric code), which the CAS does not need. "
                "Type the CID: the 20-digit code printed on the card."
            ),
            code="cnp",
        )
    if not compact.isdigit():
        raise ValidationError(
            _("The CID has digits only: check the code printed on the card."),
            code="digits",
        )
    if len(compact) != CID_LENGTH:
        raise ValidationError(
            _("The CID has exactly 20 digits; you typed %(count)d."),
            code="length",
            params={"count": len(compact)},
        )
    return compact


def normalize_card_number(value: str) -> str:
    """The card number ("număr document"): exactly 16 letters or digits."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        raise ValidationError(
            _("Enter the card number: the 16 characters printed on the card."),
            code="required",
        )
    if _looks_like_cnp(compact):
        raise ValidationError(
            _(
                "This is a CNP (personal numeric code), which the CAS does not need. "
                "Type the card number: the 16 characters printed on the card."
            ),
            code="cnp",
        )
    if not compact.isalnum() or not compact.isascii():
        raise ValidationError(
            _("The card number has letters and digits only."), code="characters"
        )
    if len(compact) == CID_LENGTH and compact.isdigit():
        raise ValidationError(
            _(
                "20 digits is a CID, which is for blocked cards (error 15). For an "
                "invalid card (error 5 or 17) type the 16-character card number."
            ),
            code="cid",
        )
    if len(compact) != CARD_NUMBER_LENGTH:
        raise ValidationError(
            _("The card number has exactly 16 characters; you typed %(count)d."),
            code="length",
            params={"count": len(compact)},
        )
    return compact


def validate_parafa(value: str) -> None:
    if value and not _PARAFA.match(value):
        raise ValidationError(
            _("A stamp code (parafa) has 5 or 6 capital letters or digits."),
            code="parafa",
        )


# "PIN 1234", "pin: 98765", "cod pin 4321": a secret PIN typed into free text.
# 0000 is the public reset PIN and may be mentioned.
_PIN_IN_TEXT = re.compile(r"\bpin\b[^0-9\n]{0,12}(?!0000\b)\d{4,8}\b", re.IGNORECASE)


def validate_no_pin(value: str) -> None:
    """Free text must not carry a card PIN: the helpdesk never stores one."""
    if value and _PIN_IN_TEXT.search(value):
        raise ValidationError(
            _(
                "Remove the PIN from the text: the CAS never needs the card's PIN and "
                "the helpdesk does not store it."
            ),
            code="pin",
        )


def normalize_phone(value: str) -> str:
    """A Romanian (or international, with +) phone number, in E.164."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(text, "RO")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "This is not a valid phone number "
                "(e.g. 0736 203 666 or +40 736 203 666)."
            ),
            code="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
