"""Forms of the specialist queue: the list's filters (a GET query that falls back
to its defaults on bad values) and the actions on a request. They read and shape
input only; the services check every rule about states, outcomes and PINs."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cards.models import CardRequest, Kind, Outcome, Status
from cards.permissions import Action, can
from cards.selectors import QUEUE_TRANSFERRED
from cards.services.lifecycle import OUTCOME_FOR_KIND
from providers.models import House, OfficeKind, Person

TEXT_MAX = 2000

AGES = {
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
}
AGE_CHOICES = [
    ("", _("Any age")),
    ("30m", _("Older than 30 min")),
    ("1h", _("Older than 1 hour")),
    ("4h", _("Older than 4 hours")),
    ("1d", _("Older than 1 day")),
]
STATUS_CHOICES = [
    ("", _("Open work")),
    *Status.choices,
    (QUEUE_TRANSFERRED, _("Transferred away")),
]
# Short names of the offices for tabs, filters and list rows.
OFFICE_SHORT_LABELS = {
    OfficeKind.PRIMARY: _("Primary care"),
    OfficeKind.CLINICAL: _("Specialties"),
    OfficeKind.HOSPITAL: _("Hospital and emergency"),
}
ASSIGNEE_CHOICES = [
    ("", _("Anyone")),
    ("mine", _("Me (mine)")),
    ("none", _("Unassigned")),
]


class HouseChoiceField(forms.ModelChoiceField):
    """Active houses by name, each with its code: "CAS Cluj (CJ)"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", House.objects.filter(is_active=True))
        super().__init__(**kwargs)
        self.queryset = self.queryset.order_by("short_name")

    def label_from_instance(self, obj: House) -> str:
        return f"{obj.short_name} ({obj.code})"


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: each key on its field, the
    rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string."""

    house = HouseChoiceField(
        label=_("House"),
        to_field_name="code",
        required=False,
        empty_label=_("All houses"),
    )
    office = forms.ChoiceField(
        label=_("Office"),
        choices=[("", _("All offices")), *OFFICE_SHORT_LABELS.items()],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Both kinds")), *Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, required=False
    )
    age = forms.ChoiceField(label=_("Filed"), choices=AGE_CHOICES, required=False)
    assignee = forms.ChoiceField(
        label=_("Assignee"), choices=ASSIGNEE_CHOICES, required=False
    )

    def __init__(self, *args, actor: Person, office_kinds: list[str], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if actor.house_id is not None:
            # Staff work their own house: only a national admin picks one.
            del self.fields["house"]
        if len(office_kinds) < 2:
            del self.fields["office"]
        else:
            self.fields["office"].choices = [
                ("", _("All offices")),
                *[(k, OFFICE_SHORT_LABELS[k]) for k in office_kinds],
            ]

    @classmethod
    def from_query(cls, query: QueryDict, **kwargs) -> "QueueFilterForm":
        """A valid form: values that do not validate fall back to their default."""
        form = cls(query, **kwargs)
        if form.is_valid():
            return form
        data = query.copy()
        for name in form.errors:
            data.pop(name, None)
        form = cls(data, **kwargs)
        form.is_valid()
        return form

    def filters(self) -> dict:
        """The keyword arguments of `card_requests_queue_for`."""
        data = self.cleaned_data
        house = data.get("house")
        return {
            "house_code": house.code if house else "",
            "office_kind": data.get("office", ""),
            "kind": data.get("kind", ""),
            "status": data.get("status", ""),
            "older_than": AGES.get(data.get("age", "")),
            "assignee": data.get("assignee", ""),
        }

    def query(self) -> str:
        """The chosen filters as a query string, defaults left out."""
        chosen = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "")
            if value and name in self.cleaned_data:
                chosen[name] = value
        return chosen.urlencode()

    def drawing_key(self) -> str:
        """All that its fields show besides the language: which fields, the offices
        offered and the chosen values. The queue page keeps the form drawn under it
        (the houses an admin picks from for a few minutes at most)."""
        offices = self.fields["office"].choices if "office" in self.fields else []
        return "|".join(
            [",".join(self.fields), ",".join(str(v) for v, _ in offices), self.query()]
        )


class ActionForm(forms.Form):
    """An action on one request; `service_kwargs` is what the service receives."""

    def __init__(self, *args, card_request: CardRequest, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.card_request = card_request

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ClaimForm(ActionForm):
    pass


class UnclaimForm(ActionForm):
    pass


def _text(label, *, required: bool, message=None, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": message} if message else None,
    )


class ResolveForm(ActionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = _text(
        _("Note for the provider (optional)"),
        required=False,
        help_text=_("Never write the card's PIN."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].initial = OUTCOME_FOR_KIND[self.card_request.kind]


class RejectForm(ActionForm):
    reason = _text(
        _("Reason"),
        required=True,
        message=_("Give the reason for rejecting."),
        help_text=_("The provider reads it."),
    )


class AskInfoForm(ActionForm):
    question = _text(
        _("Question for the provider"),
        required=True,
        message=_("Write the question."),
    )


class TransferForm(ActionForm):
    house = HouseChoiceField(
        label=_("To house"),
        empty_label=_("Choose the house the card was issued for"),
        error_messages={
            "required": _("Choose the house to send the request to."),
            "invalid_choice": _("Choose one of the houses listed."),
        },
    )
    note = _text(_("Note (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        houses = self.fields["house"].queryset
        self.fields["house"].queryset = houses.exclude(pk=self.card_request.house_id)


# The actions offered on a request's page: form, and the statuses it is offered in.
# The services decide; this only avoids offering what they would refuse.
ACTION_FORMS: dict[Action, tuple[type[ActionForm], tuple[str, ...]]] = {
    Action.CLAIM: (ClaimForm, (Status.NEW,)),
    Action.RESOLVE: (ResolveForm, (Status.IN_PROGRESS,)),
    Action.ASK_INFO: (AskInfoForm, (Status.IN_PROGRESS,)),
    Action.REJECT: (RejectForm, (Status.IN_PROGRESS,)),
    Action.TRANSFER: (TransferForm, (Status.NEW, Status.IN_PROGRESS)),
    Action.UNCLAIM: (UnclaimForm, (Status.IN_PROGRESS,)),
}


def action_forms_for(
    actor: Person, card_request: CardRequest, bound: ActionForm | None = None
) -> dict[str, ActionForm]:
    """The forms of the actions the actor may take on the request now, by action
    name; `bound` (a form that failed) replaces its blank one."""
    forms_by_action = {}
    for action, (form_class, statuses) in ACTION_FORMS.items():
        if card_request.status in statuses and can(actor, action, card_request):
            forms_by_action[action.value] = form_class(
                card_request=card_request, prefix=action.value
            )
    if bound is not None:
        forms_by_action[bound.prefix] = bound
    return forms_by_action
