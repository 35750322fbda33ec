"""A house's workload, for its supervisor: open work per office and per
specialist, the oldest waiting, and claimed requests nobody has touched for a
while. Read through the one scoping function, narrowed to the house."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet

from cards.models import CardRequest, Status
from cards.permissions import Action, can_in_house
from cards.selectors import QUEUE_WORK_STATUSES, card_requests_visible_to
from providers.models import House, OfficeKind, Person, Role

CLAIMED_STATUSES = (Status.IN_PROGRESS, Status.NEEDS_INFO)
IDLE_LIST_LENGTH = 50


def idle_after() -> timedelta:
    """How long a claimed request may sit without a change before it shows as idle."""
    return timedelta(minutes=settings.WORKLOAD_IDLE_MINUTES)


@dataclass
class SpecialistLoad:
    person: Person
    in_progress: int = 0
    needs_info: int = 0
    idle: int = 0
    oldest_claimed_at: datetime | None = None

    @property
    def open(self) -> int:
        return self.in_progress + self.needs_info


def house_work_for(*, actor: Person, house: House) -> QuerySet[CardRequest]:
    """The open work (new, in progress, needs information) now in the house's
    queues, as far as the actor may see it; nothing outside their house."""
    if not can_in_house(actor, Action.REASSIGN, house.pk):
        return CardRequest.objects.none()
    return card_requests_visible_to(actor).filter(
        house=house, status__in=QUEUE_WORK_STATUSES
    )


def workload_by_office(*, actor: Person, house: House, now: datetime) -> list[dict]:
    """Per office of the house: new, in progress, waiting for information, past
    due, idle, and the oldest new request's filing time; one aggregate query."""
    idle_before = now - idle_after()
    rows = {
        row["office__kind"]: row
        for row in house_work_for(actor=actor, house=house)
        .order_by()
        .values("office__kind")
        .annotate(
            new=Count("id", filter=Q(status=Status.NEW)),
            in_progress=Count("id", filter=Q(status=Status.IN_PROGRESS)),
            needs_info=Count("id", filter=Q(status=Status.NEEDS_INFO)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
            idle=Count(
                "id",
                filter=Q(status=Status.IN_PROGRESS, updated_at__lt=idle_before),
            ),
            oldest_new=Min("created_at", filter=Q(status=Status.NEW)),
        )
    }
    return [
        {"office": office, **rows.get(office.kind, {})}
        for office in offices_in_order(house)
    ]


def offices_in_order(house: House) -> list:
    """The house's offices: primary care, specialties, hospital."""
    return sorted(house.offices.all(), key=lambda o: OfficeKind.values.index(o.kind))


def assignable_people(*, house: House) -> QuerySet[Person]:
    """Who can be given a request of the house: its active specialists and
    supervisors (a request still goes only to one who works its office)."""
    return (
        Person.objects.filter(
            house=house,
            is_active=True,
            role__in=[Role.SPECIALIST, Role.SUPERVISOR],
        )
        .prefetch_related("offices")
        .order_by("last_name", "first_name", "username")
    )


def workload_by_person(
    *, actor: Person, house: House, now: datetime, people: list[Person]
) -> list[SpecialistLoad]:
    """Per person of `people` (the house's `assignable_people`): what they hold,
    how much of it is idle and since when the oldest; one aggregate query."""
    idle_before = now - idle_after()
    held = {
        row["assignee_id"]: row
        for row in house_work_for(actor=actor, house=house)
        .filter(assignee__isnull=False)
        .order_by()
        .values("assignee_id")
        .annotate(
            in_progress=Count("id", filter=Q(status=Status.IN_PROGRESS)),
            needs_info=Count("id", filter=Q(status=Status.NEEDS_INFO)),
            idle=Count(
                "id",
                filter=Q(status=Status.IN_PROGRESS, updated_at__lt=idle_before),
            ),
            oldest_claimed_at=Min("updated_at"),
        )
    }
    loads = []
    for person in people:
        row = held.get(person.pk, {})
        loads.append(
            SpecialistLoad(
                person=person,
                **{k: v for k, v in row.items() if k != "assignee_id"},
            )
        )
    loads.sort(key=lambda load: (-load.open, str(load.person)))
    return loads


def claimed_requests_for(*, actor: Person, house: House) -> QuerySet[CardRequest]:
    """Claimed requests of the house, the longest untouched first (the top of the
    list is what a supervisor looks at to reassign or release)."""
    return (
        house_work_for(actor=actor, house=house)
        .filter(status__in=CLAIMED_STATUSES, assignee__isnull=False)
        .select_related("office", "assignee", "provider")
        .order_by("updated_at", "id")[:IDLE_LIST_LENGTH]
    )
