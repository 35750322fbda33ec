"""Figures as people read them on the reports and workload pages."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from cards.models import CallOutcome
from providers.models import OfficeKind

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """ "35 min", "2 h 05 min", "3 d 4 h"; "—" when there is nothing to show."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


@register.filter
def percent(value: float | None) -> str:
    """ "12.5%"; "—" for no value."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def office_label(kind: str) -> str:
    """The office kind's name ("primary" → "Primary care")."""
    return str(dict(OfficeKind.choices).get(kind, kind))


@register.filter
def call_outcome_label(outcome: str) -> str:
    return str(dict(CallOutcome.choices).get(outcome, outcome))
