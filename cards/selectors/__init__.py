"""Scoped reads. Every fetch of requests goes through `card_requests_visible_to`:
what an actor may list is exactly what they may open."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from cards.models import Call, CardRequest, Channel, Event, EventKind, Notification
from cards.permissions import Action, has_role_for
from providers.models import House, Person, Role


def card_requests_visible_to(actor: Person) -> QuerySet[CardRequest]:
    """A provider sees its own requests; a house the requests in its queues (a
    specialist: in their offices) and those it transferred away; an admin all."""
    requests = CardRequest.objects.all()
    if not actor.is_active:
        return requests.none()
    if actor.role == Role.NATIONAL_ADMIN:
        return requests
    if actor.role == Role.PROVIDER_AGENT:
        return requests.filter(provider_id=actor.provider_id)
    if actor.role not in (Role.PHONE_OPERATOR, Role.SPECIALIST, Role.SUPERVISOR):
        return requests.none()
    transferred_away = Exists(
        Event.objects.filter(
            card_request=OuterRef("pk"),
            kind=EventKind.TRANSFERRED,
            from_house_id=actor.house_id,
        )
    )
    in_queue = Q(house_id=actor.house_id)
    if actor.role == Role.SPECIALIST:
        in_queue &= Q(office__in=actor.offices.all())
    return requests.filter(in_queue | transferred_away)


def card_requests_scope_of(actor: Person) -> str:
    """What besides the data decides `card_requests_visible_to(actor)`: two actors
    with the same scope are given the same requests."""
    if not actor.is_active:
        return "none"
    if actor.role == Role.NATIONAL_ADMIN:
        return "all"
    if actor.role == Role.PROVIDER_AGENT:
        return f"provider:{actor.provider_id}"
    if actor.role not in (Role.PHONE_OPERATOR, Role.SPECIALIST, Role.SUPERVISOR):
        return "none"
    if actor.role == Role.SPECIALIST:
        offices = sorted(office.pk for office in actor.offices.all())
        return f"house:{actor.house_id}:offices:{','.join(map(str, offices))}"
    return f"house:{actor.house_id}"


def card_requests_listed_for(actor: Person) -> QuerySet[CardRequest]:
    """The visible requests in the order their reader works them: a provider's
    newest first; a CAS queue most urgent first, then by due time."""
    requests = card_requests_visible_to(actor)
    if actor.is_active and actor.provider_id is not None:
        return requests.order_by("-created_at", "-id")
    return requests.order_by("-priority", "due_at", "id")


def card_request_get_for(actor: Person, reference: str) -> CardRequest:
    """The request with this reference if the actor may see it; otherwise 404, the
    same answer as for a reference that does not exist."""
    try:
        # get(): no ordering to plan and sort for the one row a reference names.
        # Its filer and assignee joined: planned once per connection (a prepared
        # statement), then one query less on every read.
        card_request = (
            card_requests_visible_to(actor)
            .select_related(
                "house", "office", "provider", "location", "filed_by", "assignee"
            )
            .get(reference=(reference or "").strip().upper())
        )
    except CardRequest.DoesNotExist:
        raise Http404(_("No such request.")) from None
    return card_request


def calls_visible_to(actor: Person) -> QuerySet[Call]:
    """Calls of the actor's house for operators and supervisors; all for admins."""
    calls = Call.objects.all()
    if not has_role_for(actor, Action.LIST_CALLS):
        return calls.none()
    if actor.role == Role.NATIONAL_ADMIN:
        return calls
    return calls.filter(house_id=actor.house_id)


def houses_run_by(actor: Person, action: Action) -> QuerySet[House]:
    """The houses in which the actor may take a house-wide action (reports,
    workload, offices): a national admin's every house, a supervisor's own;
    nobody else's."""
    if not has_role_for(actor, action):
        return House.objects.none()
    if actor.role == Role.NATIONAL_ADMIN:
        return House.objects.all()
    return House.objects.filter(pk=actor.house_id)


def card_request_is_visible_to(*, actor: Person, card_request: CardRequest) -> bool:
    """True when the actor may open this request (`card_requests_visible_to`)."""
    return card_requests_visible_to(actor).filter(pk=card_request.pk).exists()


def in_app_notifications_for(actor: Person) -> QuerySet[Notification]:
    """The actor's own in-app messages about requests they may still open, newest
    first: a message never lists a request its reader cannot open."""
    return Notification.objects.filter(
        recipient=actor,
        channel=Channel.IN_APP,
        card_request__in=card_requests_visible_to(actor),
    ).order_by("-created_at", "-id")


def card_request_notifications_for(actor: Person) -> QuerySet[Notification]:
    """The messages about a request its reader may see: CAS staff all of them; a
    provider only those sent to it (not the house's internal ones)."""
    notifications = Notification.objects.order_by("created_at", "id")
    if has_role_for(actor, Action.USE_CAS_DESK):
        return notifications
    if actor.is_active and actor.provider_id is not None:
        # Its people, or (no recipient) the provider's own contact address.
        return notifications.filter(
            Q(recipient__provider_id=actor.provider_id) | Q(recipient__isnull=True)
        )
    return notifications.none()


def unread_in_app_count(actor: Person) -> int:
    """How many of the actor's in-app messages are unread (kept while their inbox
    keeps its version: cards.services.versions)."""
    from cards.services.versions import kept_for_inbox

    return kept_for_inbox(
        actor.pk,
        "unread",
        lambda: in_app_notifications_for(actor).filter(read_at__isnull=True).count(),
    )


def calls_today_for(actor: Person) -> QuerySet[Call]:
    """The visible calls that started today (local time), newest first, with their
    operator, house, office and provider joined and the linked requests the actor
    may open loaded (each marked `visible`)."""
    from datetime import timedelta

    from django.db.models import Prefetch
    from django.utils import timezone

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    # Only the linked requests the actor may open: a list never names others.
    linked = (
        card_requests_visible_to(actor)
        .only("id", "reference", "house_id")
        .annotate(
            visible=Exists(card_requests_visible_to(actor).filter(pk=OuterRef("pk")))
        )
    )
    return (
        calls_visible_to(actor)
        .filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
        .select_related("operator", "house", "office", "provider")
        .prefetch_related(Prefetch("card_requests", queryset=linked))
        .order_by("-started_at", "-id")
    )


# The specialist queue dashboard ---------------------------------------------------
from datetime import timedelta  # noqa: E402

from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from providers.models import OfficeKind  # noqa: E402

# Statuses of the work a queue shows by default, and the pseudo-status that lists
# what the actor's house moved to another house (read-only there).
QUEUE_WORK_STATUSES = ("new", "in_progress", "needs_info")
QUEUE_TRANSFERRED = "transferred"


def card_requests_queued_for(
    *, actor: Person, house_code: str = ""
) -> QuerySet[CardRequest]:
    """The visible requests sitting in the actor's own house (an admin: every house,
    or the one named), in queue order; those the house transferred away are left
    out."""
    requests = card_requests_listed_for(actor)
    if actor.house_id is not None:
        return requests.filter(house_id=actor.house_id)
    if house_code:
        return requests.filter(house__code=house_code)
    return requests


def card_requests_transferred_away_for(
    *, actor: Person, house_code: str = ""
) -> QuerySet[CardRequest]:
    """The visible requests the actor's house (an admin: the house named) moved to
    another house's queue, in queue order; none for an admin naming no house."""
    requests = card_requests_listed_for(actor)
    if actor.house_id is not None:
        house_filter = Q(from_house_id=actor.house_id)
        here = Q(house_id=actor.house_id)
    elif house_code:
        house_filter = Q(from_house__code=house_code)
        here = Q(house__code=house_code)
    else:
        return requests.none()
    moved = Exists(
        Event.objects.filter(
            house_filter, card_request=OuterRef("pk"), kind=EventKind.TRANSFERRED
        )
    )
    return requests.filter(moved).exclude(here)


def card_requests_queue_for(
    *,
    actor: Person,
    house_code: str = "",
    office_kind: str = "",
    kind: str = "",
    status: str = "",
    older_than: timedelta | None = None,
    assignee: str = "",
) -> QuerySet[CardRequest]:
    """The queue page's list, most urgent first: open work (new, in progress, needs
    information) unless a status is named, and the house's transferred-away
    requests only when asked for; `assignee` is "mine", "none" or anyone."""
    if status == QUEUE_TRANSFERRED:
        requests = card_requests_transferred_away_for(
            actor=actor, house_code=house_code
        )
    else:
        requests = card_requests_queued_for(actor=actor, house_code=house_code)
        statuses = [status] if status else QUEUE_WORK_STATUSES
        requests = requests.filter(status__in=statuses)
    if office_kind:
        requests = requests.filter(office__kind=office_kind)
    if kind:
        requests = requests.filter(kind=kind)
    if older_than is not None:
        requests = requests.filter(created_at__lte=timezone.now() - older_than)
    if assignee == "mine":
        requests = requests.filter(assignee_id=actor.pk)
    elif assignee == "none":
        requests = requests.filter(assignee__isnull=True)
    return requests.select_related("house", "office", "provider", "assignee")


def card_request_counts_for(
    *, actor: Person, house_code: str = ""
) -> dict[tuple[str, str], tuple[int, int]]:
    """Open work in the actor's queues as {(office kind, status): (count, overdue)},
    from one aggregate query."""
    rows = (
        card_requests_queued_for(actor=actor, house_code=house_code)
        .filter(status__in=QUEUE_WORK_STATUSES)
        .order_by()
        .values("office__kind", "status")
        .annotate(
            total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=timezone.now()))
        )
    )
    return {
        (row["office__kind"], row["status"]): (row["total"], row["overdue"])
        for row in rows
    }


def card_requests_queue_fingerprint(*, requests: QuerySet[CardRequest]) -> str:
    """How many of these requests there are and when any last changed, from one
    aggregate query: it differs as soon as one is filed, moved, changed or leaves."""
    summary = requests.order_by().aggregate(total=Count("id"), last=Max("updated_at"))
    last = summary["last"].isoformat() if summary["last"] else "-"
    return f"{summary['total']}:{last}"


def office_kinds_worked_by(*, actor: Person) -> list[str]:
    """The office kinds whose queues the actor works: a specialist's own offices;
    a supervisor and an admin every kind."""
    if actor.role == Role.SPECIALIST:
        mine = {office.kind for office in actor.offices.all()}
        return [kind for kind in OfficeKind.values if kind in mine]
    return list(OfficeKind.values)


# Identifier access records --------------------------------------------------------
from cards.models import IdentifierAccess  # noqa: E402


def identifier_accesses_visible_to(actor: Person) -> QuerySet[IdentifierAccess]:
    """Who was shown which request's full identifier: a supervisor for the requests
    now in their house, a national admin for all; nobody else reads them."""
    accesses = IdentifierAccess.objects.select_related(
        "person", "card_request", "card_request__house"
    ).order_by("-created_at", "-id")
    if not has_role_for(actor, Action.VIEW_ACCESS_RECORDS):
        return accesses.none()
    if actor.role == Role.NATIONAL_ADMIN:
        return accesses
    return accesses.filter(card_request__house_id=actor.house_id)


ACCESSES_ON_DETAIL = 20


def identifier_accesses_of(
    *, actor: Person, card_request: CardRequest
) -> list[IdentifierAccess]:
    """The latest access records of one request, as the actor may read them."""
    return list(
        identifier_accesses_visible_to(actor).filter(card_request=card_request)[
            :ACCESSES_ON_DETAIL
        ]
    )


# Help articles ---------------------------------------------------------------------
from providers.selectors import fold_for_search  # noqa: E402


def articles_matching(articles, *, query: str) -> list:
    """The articles whose title or text, in the language shown, holds every word of
    the query, case and diacritics ignored. An empty query finds them all."""
    words = fold_for_search(query).split()
    return [
        article
        for article in articles
        if all(
            word in fold_for_search(f"{article.title} {article.body}") for word in words
        )
    ]
