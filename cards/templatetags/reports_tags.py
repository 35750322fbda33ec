"""Figures as people read them on the reports and workload pages."""

from datetime import timedelta

from django import template

from cards.models import CallOutcome
from cards.templatetags.queue_tags import duration as queue_duration
from providers.models import OfficeKind

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """The queue's short duration ("35 min", "2 h 5 min", "3 days"); "—" when
    there is nothing to show."""
    if value is None:
        return "—"
    return queue_duration(value)


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
