import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from providers.models import Role
from providers.validators import (
    normalize_card_number,
    normalize_cid,
    normalize_cui,
    normalize_phone,
    validate_no_pin,
    validate_parafa,
)
from tests.providers.factories import PersonFactory, ProviderFactory, house


@pytest.mark.parametrize(
    "value", ["18547290", "RO18547290", "ro 18547290", "18.547.290"]
)
def test_a_fiscal_code_with_a_valid_check_digit_is_accepted(value):
    assert normalize_cui(value) == "18547290"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("18547291", "wrong check digit"),
        ("RO18A47290", "2 to 10 digits"),
        ("12345678901", "2 to 10 digits"),
        ("", "Enter the fiscal code"),
    ],
)
def test_a_bad_fiscal_code_is_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        normalize_cui(value)


def test_cid_accepts_exactly_twenty_digits_with_separators():
    assert normalize_cid("8064 2000 3500 1234 5678") == "80642000350012345678"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1800101420010", "This is a CNP"),
        ("8064200035001234567X", "digits only"),
        ("806420003500123456789", "exactly 20 digits; you typed 21"),
        ("", "Enter the CID"),
    ],
)
def test_cid_refusals_say_what_to_type(value, message):
    with pytest.raises(ValidationError, match=message):
        normalize_cid(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1800101420010", "This is a CNP"),
        ("80642000350012345678", "20 digits is a CID"),
        ("RO1A2B3C4D5E6F7", "you typed 15"),
        ("RO1A2B3C-4D5E6F7", "letters and digits only"),
    ],
)
def test_card_number_refusals_say_what_to_type(value, message):
    with pytest.raises(ValidationError, match=message):
        normalize_card_number(value)


def test_card_number_drops_spaces_and_upper_cases():
    assert normalize_card_number(" ro1a 2b3c 4d5e 6f70 ") == "RO1A2B3C4D5E6F70"


@pytest.mark.parametrize("value", ["PIN 4821", "pin: 98765", "noul PIN este 1234"])
def test_a_pin_in_free_text_is_refused(value):
    with pytest.raises(ValidationError, match="Remove the PIN"):
        validate_no_pin(value)


@pytest.mark.parametrize(
    "value", ["Resetat cu PIN 0000", "Pacientul a uitat PIN-ul", "Cod parafa A12345"]
)
def test_text_without_a_secret_pin_is_fine(value):
    validate_no_pin(value)


@pytest.mark.parametrize("value", ["A12345", "B1234", ""])
def test_parafa_format(value):
    validate_parafa(value)


@pytest.mark.parametrize("value", ["a12345", "AB12", "ABC1234", "A-1234"])
def test_bad_parafa_is_refused(value):
    with pytest.raises(ValidationError, match="5 or 6 capital"):
        validate_parafa(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0736 203 666", "+40736203666"), ("+40 256 201 234", "+40256201234")],
)
def test_phone_numbers_are_stored_in_e164(value, expected):
    assert normalize_phone(value) == expected


def test_a_bad_phone_number_is_refused():
    with pytest.raises(ValidationError, match="not a valid phone number"):
        normalize_phone("12")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "scope",
    [
        {"role": Role.PROVIDER_AGENT},
        {"role": Role.SPECIALIST},
        {"role": Role.NATIONAL_ADMIN, "house": "TM"},
        {"role": Role.PHONE_OPERATOR, "house": "TM", "provider": True},
    ],
)
def test_a_person_belongs_to_exactly_the_scope_of_their_role(scope):
    fields = {"role": scope["role"]}
    if "house" in scope:
        fields["house"] = house(scope["house"])
    if scope.get("provider"):
        fields["provider"] = ProviderFactory()
    with pytest.raises(IntegrityError):
        PersonFactory(**fields)


@pytest.mark.django_db
def test_provider_model_validates_its_fiscal_code():
    provider = ProviderFactory.build(fiscal_code="18547291", house=house("TM"))
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert "fiscal_code" in error.value.message_dict
