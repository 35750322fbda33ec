"""Template helpers of the specialist queue: SLA badges and readable identifiers."""

from datetime import timedelta

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cards.forms.queue import OFFICE_SHORT_LABELS
from cards.models import CardRequest, Priority, Status
from cards.permissions import Action, can
from cards.selectors import QUEUE_WORK_STATUSES

register = template.Library()

# Less time than this left before the due time: the badge turns to a warning.
DUE_SOON = timedelta(minutes=30)


def duration(delta: timedelta) -> str:
    """A short human duration: "12 min", "2 h 5 min", "3 days"."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes < 60:
        return ngettext("%(n)s min", "%(n)s min", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes == 0:
            return _("%(hours)s h") % {"hours": hours}
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    days = hours // 24
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}


def sla_state(card_request: CardRequest, now=None) -> dict:
    """The SLA badge of an open request: overdue, due soon or due later; nothing
    for a request no longer being worked."""
    if card_request.status not in QUEUE_WORK_STATUSES:
        return {}
    left = card_request.due_at - (now or timezone.now())
    if left <= timedelta(0):
        return {
            "css": "badge-overdue",
            "text": _("overdue by %(time)s") % {"time": duration(-left)},
        }
    return {
        "css": "badge-due" if left < DUE_SOON else "badge-later",
        "text": _("due in %(time)s") % {"time": duration(left)},
    }


@register.simple_tag
def sla_badges(card_request: CardRequest) -> str:
    """`{% sla_badges card_request %}`: urgent (hospital) and due-time badges.
    Built here rather than from a template of their own, which the queue rendered
    anew for every row."""
    badges = []
    if card_request.priority == Priority.URGENT:
        badges.append(
            format_html('<span class="badge badge-urgent">{}</span>', _("Urgent"))
        )
    sla = sla_state(card_request)
    if sla:
        due = timezone.localtime(card_request.due_at)
        badges.append(
            format_html(
                '<time class="badge {}" datetime="{}" title="{}">{}</time>',
                sla["css"],
                date_format(due, "c"),
                _("Due %(due)s") % {"due": date_format(due, "SHORT_DATETIME_FORMAT")},
                sla["text"],
            )
        )
    return format_html(
        '<span class="queue-badges">{}</span>',
        format_html_join("", "{}", ((badge,) for badge in badges)),
    )


# A reference as the claim address is reversed with, once per render.
CLAIM_PLACEHOLDER = "REFERENCE"


def _claim_url(render_context) -> str:
    if "claim_url" not in render_context:
        render_context["claim_url"] = reverse("queue:claim", args=[CLAIM_PLACEHOLDER])
    return render_context["claim_url"]


@register.simple_tag(takes_context=True)
def claim_form(context, card_request: CardRequest) -> str:
    """`{% claim_form row %}`: the claim button of a new request for a reader who
    may claim it, nothing otherwise. The reader's own permission and token, so it
    is drawn for every reader, here rather than from template tags (some ten per
    row)."""
    if card_request.status != Status.NEW or not can(
        context["user"], Action.CLAIM, card_request
    ):
        return ""
    url = _claim_url(context.render_context).replace(
        CLAIM_PLACEHOLDER, card_request.reference
    )
    return format_html(
        '<form method="post" action="{0}" hx-post="{0}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{1}">'
        '<button type="submit" id="claim-{2}" class="queue-claim">{3}'
        '<span class="visually-hidden"> {2}</span></button></form>',
        url,
        context.get("csrf_token", ""),
        card_request.reference,
        _("Claim"),
    )


@register.filter
def chunks(value: str, size: int = 4) -> list[str]:
    """Split an identifier into groups that are easy to read out or type."""
    value = str(value)
    size = int(size)
    return [value[i : i + size] for i in range(0, len(value), size)]


@register.filter
def filed_ago(value) -> str:
    """How long ago, in the badges' words: "just now", "12 min ago"."""
    elapsed = timezone.now() - value
    if elapsed < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": duration(elapsed)}


@register.filter
def office_label(kind: str) -> str:
    """The short name of an office kind: "Primary care", "Specialties"…"""
    return OFFICE_SHORT_LABELS.get(kind, kind)
