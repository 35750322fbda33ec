"""The phone operator's call form: the call itself and, in the same step, the
caller's request. Fields are named after the arguments of
`cards.services.call_log_and_file`, so its field errors land on them."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.guidance import FILEABLE_CODES, READER_ERRORS
from cards.models import CallOutcome, CallReason, Kind
from cards.permissions import Action, has_role_for
from providers.models import House, Office, Provider
from providers.selectors import call_line_offices, houses_active

CALL_FIELDS = (
    "caller_phone",
    "provider",
    "office",
    "reason",
    "outcome",
    "note",
    "started_at",
    "ended_at",
)
FILING_FIELDS = ("error_code", "house", "cid", "card_number", "request_note")

# The reason a call about each reader code usually has: a default the operator sees
# preselected when picking the code, and may change.
_REASON_FOR_KIND = {
    Kind.BLOCKED: CallReason.BLOCKED_CARD,
    Kind.INVALID: CallReason.INVALID_CARD,
}


def reader_error_choices() -> list:
    """The reader codes, the ones the CAS fixes first, each with its meaning."""

    def label(code: int) -> str:
        return _("%(code)s — %(meaning)s") % {
            "code": code,
            "meaning": READER_ERRORS[code].meaning,
        }

    return [
        ("", _("Choose a code")),
        (_("Filed to the CAS"), [(code, label(code)) for code in FILEABLE_CODES]),
        (
            _("Answered on the phone (nothing is filed)"),
            [
                (code, label(code))
                for code in READER_ERRORS
                if code not in FILEABLE_CODES
            ],
        ),
    ]


class ReaderErrorSelect(forms.Select):
    """Options carry what the page's script needs: the kind of request the code
    files (none for the others), the call reason it implies and its advice."""

    def create_option(self, name, value, label, selected, index, **kwargs):
        option = super().create_option(name, value, label, selected, index, **kwargs)
        code = int(str(value)) if str(value).isdigit() else None
        if code in READER_ERRORS:
            kind = FILEABLE_CODES.get(code, "")
            option["attrs"].update(
                {
                    "data-kind": kind,
                    "data-reason": _REASON_FOR_KIND.get(kind, CallReason.OTHER_ERROR),
                    "data-advice": str(READER_ERRORS[code].advice),
                }
            )
        return option


class CallTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


class ProviderField(forms.ModelChoiceField):
    """The provider picked in the lookup, sent as its id in a hidden input."""

    widget = forms.HiddenInput
    default_error_messages = {
        "invalid_choice": gettext_lazy(
            "This provider can no longer be chosen: look the caller up again."
        )
    }


class CallForm(forms.Form):
    caller_phone = forms.CharField(
        label=gettext_lazy("Caller's phone number"),
        max_length=40,
        help_text=gettext_lazy("As shown on your phone, e.g. 0256 201 234."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}
        ),
    )
    provider = ProviderField(
        queryset=Provider.objects.filter(is_active=True), required=False
    )
    office = forms.ModelChoiceField(
        label=gettext_lazy("Line that took the call"),
        queryset=Office.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not recorded"),
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=CallReason.choices,
        initial=CallReason.BLOCKED_CARD,
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=CallOutcome.choices,
        initial=CallOutcome.ANSWERED,
        help_text=gettext_lazy(
            "A call that files a request is logged as “Request filed”."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note about the call"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Never write a PIN: the CAS does not need it."),
    )
    started_at = forms.DateTimeField(
        label=gettext_lazy("Call started"), widget=CallTimeInput()
    )
    ended_at = forms.DateTimeField(
        label=gettext_lazy("Call ended"),
        required=False,
        widget=CallTimeInput(),
        help_text=gettext_lazy("Leave empty: the time you log the call."),
    )
    file_request = forms.BooleanField(
        label=gettext_lazy("File a request for this caller"), required=False
    )
    error_code = forms.TypedChoiceField(
        label=gettext_lazy("Reader error code"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=ReaderErrorSelect,
    )
    house = forms.ModelChoiceField(
        label=gettext_lazy("The card's house"),
        queryset=House.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("The provider's house"),
        help_text=gettext_lazy(
            "The house the card was issued for, printed on the letter that came "
            "with the card (normally the insured person's)."
        ),
    )
    cid = forms.CharField(
        label=gettext_lazy("CID"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "Blocked card (error 15): the 20-digit code printed on the card."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "mono"}
        ),
    )
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "Invalid card (error 5 or 17): the 16 characters printed on the card."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
    )
    request_note = forms.CharField(
        label=gettext_lazy("Note for the specialist"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.initial.setdefault("started_at", timezone.now().replace(microsecond=0))
        office = self.fields["office"]
        office.queryset = call_line_offices(house=actor.house)
        if actor.house is None:
            office.empty_label = _("Choose the house and office line")
        else:
            office.label_from_instance = lambda line: line.get_kind_display()
        if not has_role_for(actor, Action.FILE):
            for name in ("file_request", *FILING_FIELDS):
                del self.fields[name]
            return
        self.fields["house"].queryset = houses_active()
        self.fields["error_code"].choices = reader_error_choices()
        if actor.house is not None:
            self.initial.setdefault("house", actor.house.code)

    @property
    def may_file(self) -> bool:
        return "file_request" in self.fields

    @property
    def files_request(self) -> bool:
        return self.may_file and bool(self.cleaned_data.get("file_request"))

    def call_fields(self) -> dict:
        """The call as `call_log` takes it; no end time means it ends now."""
        fields = {name: self.cleaned_data[name] for name in CALL_FIELDS}
        fields["ended_at"] = fields["ended_at"] or timezone.now()
        return fields

    def filing_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in FILING_FIELDS}

    def selected_provider(self) -> Provider | None:
        """The provider chosen so far, to show beside its hidden input."""
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get("provider")
        return self.initial.get("provider")

    def selected_reader_error(self):
        """The reader code chosen in a submitted form, with its advice."""
        if not self.may_file or not self.is_bound:
            return None
        value = str(self["error_code"].value() or "")
        return READER_ERRORS.get(int(value)) if value.isdigit() else None
