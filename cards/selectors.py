"""Scoped reads. Every fetch of requests goes through `card_requests_visible_to`:
what an actor may list is exactly what they may open."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from cards.models import Call, CardRequest, Channel, Event, EventKind, Notification
from cards.permissions import Action, has_role_for
from providers.models import Person, Role


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
    card_request = (
        card_requests_visible_to(actor)
        .select_related(
            "house", "office", "provider", "location", "assignee", "filed_by"
        )
        .filter(reference=(reference or "").strip().upper())
        .first()
    )
    if card_request is None:
        raise Http404(_("No such request."))
    return card_request


def calls_visible_to(actor: Person) -> QuerySet[Call]:
    """Calls of the actor's house for operators and supervisors; all for admins."""
    calls = Call.objects.all()
    if not has_role_for(actor, Action.LIST_CALLS):
        return calls.none()
    if actor.role == Role.NATIONAL_ADMIN:
        return calls
    return calls.filter(house_id=actor.house_id)


def in_app_notifications_for(actor: Person) -> QuerySet[Notification]:
    """The actor's own in-app messages, newest first."""
    return Notification.objects.filter(
        recipient=actor, channel=Channel.IN_APP
    ).order_by("-created_at", "-id")
