"""The specialist queue: the live list of a house's requests, and a request's page
with the actions its reader may take. Every read goes through cards.selectors,
every change through cards.services, every permission through cards.permissions."""

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import quote_etag, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from cards import services
from cards.exceptions import DomainError
from cards.forms.queue import (
    ACTION_FORMS,
    OFFICE_SHORT_LABELS,
    QueueFilterForm,
    action_forms_for,
    add_service_errors,
)
from cards.models import AccessChannel, Status
from cards.permissions import Action, can, has_role_for
from cards.selectors import (
    QUEUE_TRANSFERRED,
    QUEUE_WORK_STATUSES,
    card_request_counts_for,
    card_request_get_for,
    card_requests_queue_fingerprint,
    card_requests_queue_for,
    card_requests_queued_for,
    card_requests_scope_of,
    identifier_accesses_of,
    office_kinds_worked_by,
)
from cards.services.audit import identifier_shown
from cards.services.versions import kept_for_queue, load_offices, queue_version_of
from cards.views import page_number

PAGE_SIZE = 100
FILTERS_ID = "queue-filters"  # the filter form; its htmx requests update the URL

SERVICES = {
    Action.CLAIM: services.card_request_claim,
    Action.UNCLAIM: services.card_request_unclaim,
    Action.RESOLVE: services.card_request_resolve,
    Action.REJECT: services.card_request_reject,
    Action.TRANSFER: services.card_request_transfer,
    Action.ASK_INFO: services.card_request_ask_info,
}
DONE = {
    Action.CLAIM: gettext_lazy("You are working on %(reference)s."),
    Action.UNCLAIM: gettext_lazy("%(reference)s is back in the queue, unassigned."),
    Action.RESOLVE: gettext_lazy(
        "%(reference)s is resolved: the provider is told what to do next."
    ),
    Action.REJECT: gettext_lazy("%(reference)s is rejected: the provider is told why."),
    Action.TRANSFER: gettext_lazy("%(reference)s is now in the queue of %(house)s."),
    Action.ASK_INFO: gettext_lazy(
        "Your question about %(reference)s was sent to the provider."
    ),
}


# Helpers -------------------------------------------------------------------------


def _queue_actor(request):
    """The signed-in user, when their role works queues (403 otherwise), with their
    offices loaded once for every permission check of the page."""
    if not has_role_for(request.user, Action.CLAIM):
        raise Forbidden
    load_offices(request.user)
    return request.user


def _filter_form(request) -> QueueFilterForm:
    actor = _queue_actor(request)
    return QueueFilterForm.from_query(
        request.GET, actor=actor, office_kinds=office_kinds_worked_by(actor=actor)
    )


def _link(base: QueryDict, **chosen: str) -> str:
    """The queue's address with these filters changed (an empty value drops one)."""
    query = base.copy()
    for name, value in chosen.items():
        query.pop(name, None)
        if value:
            query[name] = value
    return "?" + query.urlencode()


def _listed_count(counts: dict, filters: dict) -> int | None:
    """The list's length when the open-work counts already hold it: open work,
    filtered by office and status only; None when other filters narrow it."""
    status = filters["status"]
    if status and status not in QUEUE_WORK_STATUSES:
        return None
    if filters["kind"] or filters["older_than"] or filters["assignee"]:
        return None
    return _tally(counts, office=filters["office_kind"], status=status)[0]


def _tally(counts: dict, *, office: str = "", status: str = "") -> tuple[int, int]:
    """(count, overdue) of the open work in this office and status ("": any)."""
    cells = [
        value
        for (kind, state), value in counts.items()
        if office in ("", kind) and status in ("", state)
    ]
    return sum(c[0] for c in cells), sum(c[1] for c in cells)


def _summary(request, form: QueueFilterForm, counts: dict) -> dict:
    """Open work per office (the tabs) and per status within the chosen office:
    each entry's (count, overdue) and the link that filters on it."""
    filters = form.filters()
    office, status = filters["office_kind"], filters["status"]
    base = QueryDict(form.query(), mutable=True)

    tabs = []
    if "office" in form.fields:
        kinds = office_kinds_worked_by(actor=request.user)
        tabs = [("", _("All offices"))]
        tabs += [(kind, OFFICE_SHORT_LABELS[kind]) for kind in kinds]
    states = [("", _("All open"))]
    states += [(value, Status(value).label) for value in QUEUE_WORK_STATUSES]
    return {
        "tabs": [
            _entry(
                kind,
                label,
                _tally(counts, office=kind),
                _link(base, office=kind),
                office,
            )
            for kind, label in tabs
        ],
        "statuses": [
            _entry(
                value,
                label,
                _tally(counts, office=office, status=value),
                _link(base, status=value),
                status,
            )
            for value, label in states
        ],
    }


def _entry(value, label, count, url, chosen) -> dict:
    total, overdue = count
    return {
        "id": value or "all",
        "label": label,
        "total": total,
        "overdue": overdue,
        "url": url,
        "current": value == chosen,
    }


def _since(request):
    """When the client last rendered the list (sent back by the polling), if given."""
    try:
        since = parse_datetime(request.GET.get("since", ""))
    except ValueError:
        return None
    if since is not None and timezone.is_naive(since):
        since = timezone.make_aware(since)
    return since


def _row_version(row, *, fresh: bool, actor) -> str:
    """What a list row shows besides the time, the language and the columns: the
    request as last saved (its status, assignee, due time and place all save it),
    whether it just arrived and whether it is the reader's own. The names of its
    provider and assignee are taken as they were when the row was drawn, for a
    minute at most."""
    mine = row.assignee_id is not None and row.assignee_id == actor.pk
    return f"{row.pk}.{row.updated_at.timestamp()}.{fresh:d}{mine:d}"


def _listing(request, form: QueueFilterForm, minute: str) -> tuple[dict, Page]:
    """The open work's counts per office and status, and one page of the list.
    Read once per version of the house's queue, scope, filters and minute (due
    times and ages move with it) by each process, for every reader: a change in
    the house makes every specialist polling it refresh at once."""
    actor, filters = request.user, form.filters()

    def read() -> tuple[dict, int, list, int]:
        counts = card_request_counts_for(actor=actor, house_code=filters["house_code"])
        paginator = Paginator(
            card_requests_queue_for(actor=actor, **filters), PAGE_SIZE
        )
        listed = _listed_count(counts, filters)
        if listed is not None:
            # The counts per office and status are the list's size already.
            paginator.count = listed
        page = paginator.get_page(page_number(request))
        return counts, page.number, list(page), paginator.count

    if filters["status"] == QUEUE_TRANSFERRED:
        # Requests now in other houses: no version of this house covers them.
        counts, number, rows, total = read()
    else:
        name = "|".join(
            [
                card_requests_scope_of(actor),
                # "Mine" names the reader.
                str(actor.pk) if filters["assignee"] == "mine" else "",
                form.query(),
                page_number(request),
                minute,
            ]
        )
        counts, number, rows, total = kept_for_queue(
            actor.house_id, _queue_version(request), name, read
        )
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = total
    return counts, Page(rows, number, paginator)


def _rows_context(request, form: QueueFilterForm) -> dict:
    """The list (one page, most urgent first), what is new since the client's last
    render, and the summary."""
    now = timezone.now()
    filters = form.filters()
    minute = now.strftime("%Y%m%d%H%M")
    counts, page = _listing(request, form, minute)
    since = _since(request)
    fresh = {
        row.reference
        for row in page
        if since and row.status == Status.NEW and row.updated_at > since
    }
    for row in page:
        row.version = _row_version(
            row, fresh=row.reference in fresh, actor=request.user
        )
    return {
        "form": form,
        "page": page,
        "fresh": fresh,
        "rendered_at": now,
        # Rows say how long ago and how soon to the minute: drawn once a minute.
        "minute": minute,
        "summary": _summary(request, form, counts),
        "filtered": bool(form.query()),
        # Columns that tell rows apart only when they can differ.
        "show_house": request.user.house_id is None
        or filters["status"] == QUEUE_TRANSFERRED,
        "show_office": "office" in form.fields,
    }


def _queue_version(request) -> str | None:
    """The version of the reader's house queue, read once per request: the list
    and the ETag it is sent with stand for the same one."""
    if not hasattr(request, "queue_version"):
        request.queue_version = queue_version_of(request.user.house_id)
    return request.queue_version


def _rows_etag(request) -> str:
    """Changes when anything the rows response shows may have changed: the actor,
    language and filters, the listed and counted requests, and the minute (due
    times and ages are shown to the minute). The requests are told by their
    house's queue version where it covers them (the house's own queue), else by
    one aggregate query."""
    if not has_role_for(request.user, Action.CLAIM):
        raise Forbidden
    version = None
    if request.GET.get("status") != QUEUE_TRANSFERRED:
        version = _queue_version(request)
    if version is not None:
        # The filters as sent, empty ones left out (the polling sends every field
        # of the form): another spelling of the same ones only costs a render.
        # The client's last render time does not change the rows.
        query = [
            (name, value)
            for name, values in sorted(request.GET.lists())
            if name not in ("since", "page")
            for value in values
            if value
        ]
        parts = [urlencode(query), page_number(request), "v" + version]
    else:
        form = _filter_form(request)
        filters = form.filters()
        counted = card_requests_queued_for(
            actor=request.user, house_code=filters["house_code"]
        ).filter(status__in=QUEUE_WORK_STATUSES)
        listed = card_requests_queue_for(actor=request.user, **filters)
        parts = [
            form.query(),
            page_number(request),
            card_requests_queue_fingerprint(requests=listed | counted),
        ]
    key = "|".join(
        [
            str(request.user.pk),
            get_language(),
            *parts,
            timezone.now().strftime("%Y%m%d%H%M"),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _card_request(request, reference):
    """The request, for CAS staff who may see it (providers use the portal: 404)."""
    if not has_role_for(request.user, Action.USE_CAS_DESK):
        raise Http404
    load_offices(request.user)
    return card_request_get_for(request.user, reference)


def _detail(request, card_request, bound=None):
    context = {
        "card_request": card_request,
        "events": card_request.events.select_related("actor", "from_house", "to_house"),
        "forms": action_forms_for(request.user, card_request, bound),
        "accesses": identifier_accesses_of(
            actor=request.user, card_request=card_request
        )
        if can(request.user, Action.VIEW_ACCESS_RECORDS, card_request)
        else None,
    }
    response = render(request, "cards/queue/detail.html", context)
    identifier_shown(
        actor=request.user,
        card_request=card_request,
        channel=AccessChannel.WEB,
        http_request=request,
    )
    return response


def _to_detail(request, card_request, action):
    url = reverse("queue:detail", args=[card_request.reference])
    if request.htmx and action == Action.CLAIM:
        # Claimed from a row of the list: open the request's page.
        return HttpResponseClientRedirect(url)
    return redirect(url)


# Views ---------------------------------------------------------------------------


@require_GET
def queue_page(request):
    form = _filter_form(request)
    context = _rows_context(request, form)
    # The polling starts from this page's version of the list: no needless swap.
    context["etag"] = quote_etag(_rows_etag(request))
    # Named, so that no failed template lookup logs the request (and its query).
    context["oob"] = False
    return render(request, "cards/queue/home.html", context)


@cache_control(no_cache=True, private=True)
@require_GET
@condition(etag_func=_rows_etag)
def queue_rows(request):
    """The list alone, polled by the page: 304 while nothing changed."""
    form = _filter_form(request)
    response = render(
        request, "cards/queue/rows_response.html", _rows_context(request, form)
    )
    if request.htmx.trigger == FILTERS_ID:
        query = form.query()
        push_url(response, reverse("queue:home") + (f"?{query}" if query else ""))
    return response


@require_GET
def card_request_page(request, reference):
    return _detail(request, _card_request(request, reference))


@require_POST
def card_request_act(request, reference, action):
    card_request = _card_request(request, reference)
    action = Action(action)
    if not has_role_for(request.user, action):
        raise Forbidden  # in scope, but this role never takes this action
    form_class, _statuses = ACTION_FORMS[action]
    form = form_class(request.POST, card_request=card_request, prefix=action.value)
    if form.is_valid():
        try:
            done = SERVICES[action](
                actor=request.user, card_request=card_request, **form.service_kwargs()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return _to_detail(request, card_request, action)
        else:
            names = {"reference": done.reference, "house": done.house.short_name}
            messages.success(request, DONE[action] % names)
            return _to_detail(request, card_request, action)
    return _detail(request, card_request, bound=form)
