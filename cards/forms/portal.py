"""Forms of the provider portal. They read and shape input only: every rule about
codes, identifiers, houses and PINs is checked by the services they feed."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.guidance import FILEABLE_CODES, READER_ERRORS, ReaderError
from cards.models import Kind
from providers.models import House

# Service error keys → the form field that shows them.
FIELD_FOR_ERROR_KEY = {
    "error_code": "error_code",
    "kind": "error_code",
    "cid": "cid",
    "card_number": "card_number",
    "note": "note",
    "insurer_house": "house",
}

# What the reader may show after the fix, per kind, for "still fails".
STILL_FAILS_CODES = {Kind.BLOCKED: (36, 15, 37, 41), Kind.INVALID: (5, 17)}
OTHER = "other"


def add_service_errors(form: forms.Form, error: ValidationError, fields=None) -> None:
    """Attach a service's ValidationError to the form, each key on its field."""
    fields = fields or FIELD_FOR_ERROR_KEY
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        field = fields.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


def _code_label(code: int) -> str:
    meaning = str(READER_ERRORS[code].meaning).rstrip(".")
    return _("%(code)s — %(meaning)s") % {"code": code, "meaning": meaning}


def error_code_choices() -> list:
    """The codes the CAS fixes first, then the codes answered on the spot."""
    others = sorted(code for code in READER_ERRORS if code not in FILEABLE_CODES)
    return [
        ("", _("Choose the code the reader shows")),
        (
            _("The CAS fixes these"),
            [(code, _code_label(code)) for code in FILEABLE_CODES],
        ),
        (
            _("Not for the CAS: see what to do"),
            [(code, _code_label(code)) for code in others],
        ),
    ]


class HouseSelect(forms.Select):
    """A select of houses whose options carry the official name for the filter."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        house = getattr(value, "instance", None)
        if house is not None:
            option["attrs"]["data-search"] = f"{house.code} {house.name}"
        return option


class HouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: House) -> str:
        return f"{obj.code} — {obj.short_name}"


class CardRequestForm(forms.Form):
    error_code = forms.TypedChoiceField(
        label=gettext_lazy("Error code on the reader"),
        coerce=int,
        choices=error_code_choices,
        error_messages={"required": gettext_lazy("Choose the code the reader shows.")},
    )
    cid = forms.CharField(
        label=gettext_lazy("CID"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "For error 15 (blocked card): the 20-digit code printed on the card. "
            "Not the CNP."
        ),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "mono",
            }
        ),
    )
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "For error 5 or 17 (invalid card): the 16 letters and digits printed on "
            "the card (“număr document”). Spaces do not matter."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "mono",
            }
        ),
    )
    house = HouseChoiceField(
        label=gettext_lazy("The card's house"),
        queryset=House.objects.filter(is_active=True).order_by("code"),
        empty_label=None,
        help_text=gettext_lazy(
            "The house the card was issued for (printed on the letter that came with "
            "the card; usually the patient's house)."
        ),
        widget=HouseSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the CAS (optional)"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "Anything that helps the CAS. Never write the card's PIN here."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, house: House | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if house is not None:
            self.fields["house"].initial = house
        # Live checks (static/js/portal.js) speak the validators' own messages.
        self.fields["cid"].widget.attrs.update(
            {
                "data-check": "cid",
                "data-msg-cnp": _(
                    "This is a CNP (personal numeric code), which the CAS does not "
                    "need. Type the CID: the 20-digit code printed on the card."
                ),
                "data-msg-digits": _(
                    "The CID has digits only: check the code printed on the card."
                ),
                "data-msg-length": _(
                    "The CID has exactly 20 digits; you typed %(count)d."
                ),
                "data-msg-required": _(
                    "Enter the CID: the 20-digit code printed on the card."
                ),
            }
        )
        self.fields["card_number"].widget.attrs.update(
            {
                "data-check": "card_number",
                "data-msg-cnp": _(
                    "This is a CNP (personal numeric code), which the CAS does not "
                    "need. Type the card number: the 16 characters printed on the "
                    "card."
                ),
                "data-msg-characters": _(
                    "The card number has letters and digits only."
                ),
                "data-msg-cid": _(
                    "20 digits is a CID, which is for blocked cards (error 15). For "
                    "an invalid card (error 5 or 17) type the 16-character card "
                    "number."
                ),
                "data-msg-length": _(
                    "The card number has exactly 16 characters; you typed %(count)d."
                ),
                "data-msg-required": _(
                    "Enter the card number: the 16 characters printed on the card."
                ),
            }
        )

    def reader_error(self) -> ReaderError | None:
        """The chosen code's meaning and advice when it is not one the CAS fixes."""
        code = self.cleaned_data.get("error_code") if self.is_bound else None
        if code is None or code in FILEABLE_CODES:
            return None
        return READER_ERRORS.get(code)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Your answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Write the answer.")},
        help_text=gettext_lazy("Never write the card's PIN here."),
    )


class StillFailsForm(forms.Form):
    """The provider's report that the card still fails after the fix."""

    reader_error = forms.ChoiceField(
        label=gettext_lazy("What does the reader show now?"),
        error_messages={
            "required": gettext_lazy("Choose what the reader shows now."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Details (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Never write the card's PIN here."),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reader_error"].choices = [
            ("", _("Choose")),
            *((str(code), _code_label(code)) for code in STILL_FAILS_CODES[kind]),
            (OTHER, _("Something else")),
        ]

    def clean(self):
        data = super().clean()
        if data.get("reader_error") == OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Say what the reader shows."))
        return data

    def reader_error_code(self) -> int | None:
        value = self.cleaned_data["reader_error"]
        return None if value == OTHER else int(value)
