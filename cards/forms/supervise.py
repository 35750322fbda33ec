"""Forms of the supervisor's pages: the house picker, reassigning a request, an
office's settings and the report's period. They read and shape input; the
services check the rules."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.selectors.reports import Period
from providers.models import House, Person


class HousePickerForm(forms.Form):
    """A national admin's choice of house (CAS staff have their own)."""

    house = forms.ModelChoiceField(
        label=_("House"),
        queryset=House.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=None,
    )

    def __init__(self, *args, houses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = houses.order_by("short_name")
        self.fields["house"].label_from_instance = lambda h: (
            f"{h.short_name} ({h.code})"
        )


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Give to"), queryset=Person.objects.none(), empty_label=None
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = Person.objects.filter(pk__in=[p.pk for p in people])
        field.choices = [(p.pk, str(p)) for p in people]


class PhonesField(forms.CharField):
    """One phone number per line (or separated by commas)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value):
        text = super().to_python(value)
        return [
            number.strip()
            for line in text.splitlines()
            for number in line.split(",")
            if number.strip()
        ]

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class OfficeSettingsForm(forms.Form):
    name = forms.CharField(label=_("Public name"), max_length=250, required=False)
    phones = PhonesField(
        label=_("Phone numbers"),
        required=False,
        help_text=_("One per line, as providers dial them."),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    hours = forms.CharField(
        label=_("Working hours, as shown to providers"), max_length=120
    )
    opens_at = forms.TimeField(
        label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    closes_at = forms.TimeField(
        label=_("Closes at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    friday_closes_at = forms.TimeField(
        label=_("Closes on Friday at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Leave empty when Friday is a full day."),
    )
    sla_minutes = forms.IntegerField(
        label=_("Target time to resolve (working minutes)"),
        min_value=1,
        max_value=60 * 24 * 30,
        help_text=_(
            "Counted in office hours only, without weekends and public holidays."
        ),
    )


PRESETS = (
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
)


class ReportPeriodForm(forms.Form):
    """The report's period (whole days, both included) and, for a national admin,
    the house (empty: every house, side by side)."""

    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    house = forms.ModelChoiceField(
        label=_("House"),
        queryset=House.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Every house"),
    )

    def __init__(self, *args, houses, **kwargs):
        super().__init__(*args, **kwargs)
        if houses.count() > 1:
            self.fields["house"].queryset = houses.order_by("short_name")
            self.fields["house"].label_from_instance = lambda h: (
                f"{h.short_name} ({h.code})"
            )
        else:
            del self.fields["house"]

    @staticmethod
    def default_period(days: int = 30) -> Period:
        today = timezone.localdate()
        return Period(today - timedelta(days=days - 1), today)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period is before its start."))
            elif (end - start).days + 1 > settings.REPORT_MAX_DAYS:
                self.add_error(
                    "end",
                    _("A report covers at most %(days)d days.")
                    % {"days": settings.REPORT_MAX_DAYS},
                )
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
