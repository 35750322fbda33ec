"""Template helpers of the provider portal."""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cards.models import Kind, Status

register = template.Library()

ROW = (
    '<tr{}><td class="nowrap"><a class="mono" href="{}">{}</a></td>'
    '<td>{} <span class="muted">({})</span></td>'
    '<td><span class="status status-{}">{}</span>{}</td>'
    "<td>{} · {}</td>"
    '<td><time datetime="{}" title="{}">{}</time></td>'
    '<td class="mono nowrap"><span class="visually-hidden">{} </span>'
    '<span aria-hidden="true">…</span>{}</td></tr>'
)
# The rows where it is the agent's turn (an answer, the PIN reset, a check).
YOUR_TURN = SafeString(' class="your-turn"')


def _escaped(value) -> str:
    """The value as HTML: escaped unless it is HTML already (Django's
    conditional_escape, without its check for lazy text on every call)."""
    return value if hasattr(value, "__html__") else escape(str(value))


@register.simple_tag
def request_rows(rows) -> SafeString:
    """`{% request_rows rows %}`: the rows of "my requests", one per (request, how
    long ago it was filed), every value escaped. Drawn here rather than by
    template tags, which took about 150 µs a row (a page of 25: 4 ms, half the
    page's time)."""
    kinds = {Kind.BLOCKED: _("Blocked"), Kind.INVALID: _("Invalid")}
    answer, reset, check = (
        _("Answer the CAS"),
        _("Run the PIN reset"),
        _("Check the card"),
    )
    next_steps = {
        (Status.NEEDS_INFO, Kind.BLOCKED): answer,
        (Status.NEEDS_INFO, Kind.INVALID): answer,
        (Status.RESOLVED, Kind.BLOCKED): reset,
        (Status.RESOLVED, Kind.INVALID): check,
    }
    ending_in = _("ending in")
    drawn = []
    for card_request, age in rows:
        next_step = next_steps.get((card_request.status, card_request.kind))
        filed = timezone.localtime(card_request.created_at)
        values = (
            YOUR_TURN if next_step else "",
            reverse("portal:request", args=[card_request.reference]),
            card_request.reference,
            kinds.get(card_request.kind, ""),
            card_request.error_code,
            card_request.status,
            card_request.get_status_display(),
            format_html(' <span class="next-step">{}</span>', next_step)
            if next_step
            else "",
            card_request.house.short_name,
            card_request.office.get_kind_display(),
            filed.isoformat(),
            date_format(filed, "SHORT_DATETIME_FORMAT"),
            age,
            ending_in,
            card_request.identifier_last4,
        )
        drawn.append(ROW.format(*map(_escaped, values)))
    # Every value in the rows went through _escaped.
    return SafeString("\n".join(drawn))  # nosec B703
