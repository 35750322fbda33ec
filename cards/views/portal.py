"""The provider portal: file a request, my requests, a request's page with the
guided PIN reset and its printable sheet, and every user's in-app messages."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cards import services
from cards.exceptions import DomainError, DuplicateElsewhere
from cards.forms.portal import (
    AnswerForm,
    CardRequestForm,
    StillFailsForm,
    add_service_errors,
)
from cards.guidance import FILEABLE_CODES, READER_ERRORS, instructions_for
from cards.models import (
    OPEN_STATUSES,
    AccessChannel,
    CardRequest,
    EventKind,
    Kind,
    Source,
    Status,
)
from cards.permissions import Action, has_role_for
from cards.selectors import (
    card_request_get_for,
    card_requests_listed_for,
    in_app_notifications_for,
)
from cards.services.audit import identifier_shown
from cards.services.versions import kept_for_provider
from cards.views import page_number

PAGE_SIZE = 25
OPEN = "open"


def _ago(moment) -> str:
    """“5 minutes ago”, or “just now” within the first minute."""
    if (timezone.now() - moment).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, depth=1)}


def _is_agent(user) -> bool:
    return has_role_for(user, Action.USE_PORTAL)


def _is_cas_staff(user) -> bool:
    return has_role_for(user, Action.USE_CAS_DESK)


def _agent_only(view):
    """Portal pages are for provider agents; CAS staff work from their own pages."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _is_agent(request.user):
            raise Forbidden
        return view(request, *args, **kwargs)

    return wrapped


def _agent_card_request(request, reference) -> CardRequest:
    """The request by reference: 404 outside the actor's scope (the same answer as
    for no such request), then 403 for CAS staff, who work it from the queue."""
    card_request = card_request_get_for(request.user, reference)
    if not _is_agent(request.user):
        raise Forbidden
    return card_request


# Filing ---------------------------------------------------------------------------


def _codes_of(kind: str) -> str:
    return " ".join(str(code) for code, k in FILEABLE_CODES.items() if k == kind)


_FILING_GUIDE = {
    "advice": [e for code, e in READER_ERRORS.items() if code not in FILEABLE_CODES],
    "cid_codes": _codes_of(Kind.BLOCKED),
    "card_number_codes": _codes_of(Kind.INVALID),
}


@_agent_only
def card_request_new(request):
    """The request form: a code the CAS fixes files a request; any other code is
    answered in place with what it means and what to do instead."""
    form = CardRequestForm(request.POST or None, house=request.user.provider.house)
    if request.method == "POST" and form.is_valid() and not form.reader_error():
        data = form.cleaned_data
        try:
            card_request, created = services.card_request_file(
                actor=request.user,
                source=Source.WEB,
                house=data["house"],
                error_code=data["error_code"],
                cid=data["cid"],
                card_number=data["card_number"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DuplicateElsewhere as error:
            form.add_error(None, error.message)
        else:
            if created:
                messages.success(request, _("Request filed: the CAS has it now."))
            else:
                messages.info(
                    request,
                    _("This card already has an open request: here it is."),
                )
            return redirect("portal:request", card_request.reference)
    context = {"form": form, **_FILING_GUIDE}
    status = 400 if form.errors else 200
    return render(request, "cards/portal/file.html", context, status=status)


# My requests ----------------------------------------------------------------------


def _status_filter(value: str) -> list[str] | None:
    if value == OPEN:
        return list(OPEN_STATUSES)
    return [value] if value in Status.values else None


@require_safe
@_agent_only
def card_request_list(request):
    """The provider's requests, newest first, filtered by status. Drawn once per
    version of the provider's requests, filter, page, language and minute (ages
    are shown to the minute) by each process, for every agent of the provider."""
    actor = request.user
    status = request.GET.get("status", "")
    statuses = _status_filter(status)
    if statuses is None:
        status = ""
    number = page_number(request)

    def draw() -> str:
        requests = card_requests_listed_for(actor)
        counts = dict(
            requests.order_by().values_list("status").annotate(n=Count("*")).all()
        )
        if statuses is not None:
            requests = requests.filter(status__in=statuses)
        paginator = Paginator(requests.select_related("house", "office"), PAGE_SIZE)
        # The counts per status are the list's size already: no second count.
        paginator.count = sum(counts.get(s, 0) for s in statuses or counts)
        page = paginator.get_page(number)
        filters = [("", _("All"), sum(counts.values()))]
        filters.append((OPEN, _("Open"), sum(counts.get(s, 0) for s in OPEN_STATUSES)))
        filters += [
            (s.value, s.label, counts.get(s.value, 0))
            for s in Status
            if counts.get(s.value) or s.value == status
        ]
        rows = [(card_request, _ago(card_request.created_at)) for card_request in page]
        context = {"page": page, "rows": rows, "status": status, "filters": filters}
        return render_to_string("cards/portal/_requests.html", context)

    minute = timezone.now().strftime("%Y%m%d%H%M")
    name = "|".join([status, number, get_language(), minute])
    listing = kept_for_provider(actor.provider_id, name, draw)
    return render(request, "cards/portal/list.html", {"listing": listing})


# A request's page -----------------------------------------------------------------


def _page_context(card_request: CardRequest, **forms) -> dict:
    events = list(card_request.events.select_related("actor", "from_house", "to_house"))
    latest = {event.kind: event for event in events}
    resolved = card_request.status == Status.RESOLVED and bool(card_request.outcome)
    return {
        "card_request": card_request,
        "events": events,
        "question": latest.get(EventKind.INFO_REQUESTED)
        if card_request.status == Status.NEEDS_INFO
        else None,
        "resolution": latest.get(EventKind.RESOLVED) if resolved else None,
        "rejection": latest.get(EventKind.REJECTED)
        if card_request.status == Status.REJECTED
        else None,
        "instructions": instructions_for(card_request.kind) if resolved else None,
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "still_fails_form": forms.get("still_fails_form")
        or StillFailsForm(kind=card_request.kind),
        "still_fails_open": "still_fails_form" in forms,
    }


def _request_page(request, card_request: CardRequest, context: dict, status=200):
    """Render the request's page; when it shows the full identifier (to the
    provider's own agent), record the access."""
    response = render(request, "cards/portal/request.html", context, status=status)
    identifier_shown(
        actor=request.user,
        card_request=card_request,
        channel=AccessChannel.WEB,
        http_request=request,
    )
    return response


@require_safe
def card_request_page(request, reference):
    """The provider's page of one request. CAS staff go to the queue's page."""
    card_request = card_request_get_for(request.user, reference)
    if _is_cas_staff(request.user):
        return redirect("queue:detail", card_request.reference)
    return _request_page(request, card_request, _page_context(card_request))


@require_POST
def card_request_answer(request, reference):
    """Answer the CAS's question; the request goes back to the house's queue."""
    card_request = _agent_card_request(request, reference)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.card_request_give_info(
                actor=request.user,
                card_request=card_request,
                answer=form.cleaned_data["answer"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("portal:request", card_request.reference)
        else:
            messages.success(request, _("Your answer was sent to the CAS."))
            return redirect("portal:request", card_request.reference)
    context = _page_context(card_request, answer_form=form)
    return _request_page(request, card_request, context, status=400)


@require_POST
def card_request_confirm(request, reference):
    """After the fix: the card works (closed) or still fails (reopened)."""
    card_request = _agent_card_request(request, reference)
    works = request.POST.get("works") == "yes"
    form = StillFailsForm(request.POST, kind=card_request.kind)
    if works or form.is_valid():
        try:
            services.card_request_confirm(
                actor=request.user,
                card_request=card_request,
                works=works,
                reader_error=None if works else form.reader_error_code(),
                note="" if works else form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("portal:request", card_request.reference)
        else:
            messages.success(request, _CONFIRMED[works])
            return redirect("portal:request", card_request.reference)
    context = _page_context(card_request, still_fails_form=form)
    return _request_page(request, card_request, context, status=400)


_CONFIRMED = {
    True: gettext_lazy("Thank you: the card works and the request is closed."),
    False: gettext_lazy(
        "The request is back in the CAS queue with what the reader shows; "
        "a specialist will look at it again."
    ),
}


@require_safe
def card_request_print(request, reference):
    """One A4 page with the PIN reset steps and lines for the signatures."""
    card_request = _agent_card_request(request, reference)
    if card_request.kind != Kind.BLOCKED or not card_request.outcome:
        messages.info(
            request, _("The printable steps are ready once the CAS unblocks the card.")
        )
        return redirect("portal:request", card_request.reference)
    context = {
        "card_request": card_request,
        "instructions": instructions_for(card_request.kind),
        "today": timezone.localdate(),
    }
    return render(request, "cards/portal/print.html", context)


# In-app messages ------------------------------------------------------------------


@require_safe
def notification_list(request):
    """The signed-in user's in-app messages, newest first. Reading changes nothing."""
    notifications = in_app_notifications_for(request.user).select_related(
        "card_request"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(n, services.notification_subject(n), _ago(n.created_at)) for n in page]
    context = {"page": page, "items": items}
    return render(request, "cards/portal/notifications.html", context)


@require_POST
def notification_open(request, pk):
    """Mark one message read, then open its request."""
    notification = get_object_or_404(
        in_app_notifications_for(request.user).select_related("card_request"), pk=pk
    )
    services.notification_mark_read(actor=request.user, notification=notification)
    return redirect("portal:request", notification.card_request.reference)


@require_POST
def notifications_mark_all_read(request):
    """Mark every unread message of the user read."""
    services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("All messages are marked as read."))
    return redirect("portal:notifications")
