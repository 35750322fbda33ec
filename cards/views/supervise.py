"""A supervisor's pages: the house's workload (reassign or release a claimed
request) and its offices' target times, hours and contact data. A national admin
picks the house. Reads through cards.selectors, changes through the services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cards import services
from cards.exceptions import DomainError
from cards.forms.queue import add_service_errors
from cards.forms.supervise import HousePickerForm, OfficeSettingsForm, ReassignForm
from cards.permissions import Action, has_role_for, works_queue_of
from cards.selectors import card_request_get_for, houses_run_by
from cards.selectors.workload import (
    assignable_people,
    claimed_requests_for,
    idle_after,
    offices_in_order,
    workload_by_office,
    workload_by_person,
)
from providers.models import House, Office
from providers.services import office_update_settings


def _house(request, action: Action) -> tuple[House, HousePickerForm | None]:
    """The house the page is about: the actor's own, or the one a national admin
    picks (`?house=CJ`; the first by name when none is picked). 403 for roles
    that run no house."""
    houses = houses_run_by(request.user, action)
    if not has_role_for(request.user, action) or not houses.exists():
        raise Forbidden
    if request.user.house_id is not None:
        return houses.get(), None
    picker = HousePickerForm(request.GET or None, houses=houses)
    chosen = picker.cleaned_data["house"] if picker.is_valid() else None
    return chosen or houses.order_by("short_name").first(), picker


def _back(name: str, house: House) -> str:
    return f"{reverse(name)}?{urlencode({'house': house.code})}"


def _reassign_forms(people, claimed) -> list[tuple]:
    """Each claimed request with a form listing who works its office (but the
    person holding it)."""
    rows = []
    for card_request in claimed:
        eligible = [
            p
            for p in people
            if p.pk != card_request.assignee_id and works_queue_of(p, card_request)
        ]
        form = ReassignForm(people=eligible, prefix=card_request.reference)
        rows.append((card_request, form))
    return rows


@require_safe
def workload(request):
    """Open work per office and per person, and the claimed requests, longest
    untouched first, each with reassign and release."""
    house, picker = _house(request, Action.REASSIGN)
    now = timezone.now()
    claimed = claimed_requests_for(actor=request.user, house=house)
    people = list(assignable_people(house=house))
    context = {
        "house": house,
        "picker": picker,
        "offices": workload_by_office(actor=request.user, house=house, now=now),
        "people": workload_by_person(
            actor=request.user, house=house, now=now, people=people
        ),
        "claimed": _reassign_forms(people, claimed),
        "idle_before": now - idle_after(),
        "idle_minutes": int(idle_after().total_seconds() // 60),
    }
    return render(request, "cards/supervise/workload.html", context)


@require_POST
def reassign(request, reference):
    card_request = card_request_get_for(request.user, reference)
    if not has_role_for(request.user, Action.REASSIGN):
        raise Forbidden
    people = list(assignable_people(house=card_request.house))
    form = ReassignForm(request.POST, people=people, prefix=card_request.reference)
    back = _back("supervise:workload", card_request.house)
    if not form.is_valid():
        messages.error(
            request, _("Choose who gets %(reference)s.") % _ref(card_request)
        )
        return redirect(back)
    try:
        services.card_request_reassign(
            actor=request.user,
            card_request=card_request,
            assignee=form.cleaned_data["assignee"],
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, _messages(error))
    else:
        messages.success(
            request,
            _("%(reference)s is now with %(name)s.")
            % {**_ref(card_request), "name": form.cleaned_data["assignee"]},
        )
    return redirect(back)


@require_POST
def release(request, reference):
    card_request = card_request_get_for(request.user, reference)
    if not has_role_for(request.user, Action.REASSIGN):
        raise Forbidden
    try:
        services.card_request_unclaim(actor=request.user, card_request=card_request)
    except DomainError as error:
        messages.error(request, _messages(error))
    else:
        messages.success(
            request,
            _("%(reference)s is back in the queue, unassigned.") % _ref(card_request),
        )
    return redirect(_back("supervise:workload", card_request.house))


def _ref(card_request) -> dict:
    return {"reference": card_request.reference}


def _messages(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@require_safe
def offices(request):
    """The house's offices, each with its settings form."""
    house, picker = _house(request, Action.MANAGE_OFFICES)
    forms = [
        (office, OfficeSettingsForm(initial=_settings_of(office), prefix=office.kind))
        for office in offices_in_order(house)
    ]
    context = {"house": house, "picker": picker, "forms": forms}
    return render(request, "cards/supervise/offices.html", context)


def _settings_of(office: Office) -> dict:
    return {name: getattr(office, name) for name in OfficeSettingsForm.base_fields}


@require_POST
def office_update(request, office_id):
    houses = houses_run_by(request.user, Action.MANAGE_OFFICES)
    office = get_object_or_404(Office, pk=office_id, house__in=houses)
    form = OfficeSettingsForm(request.POST, prefix=office.kind)
    if form.is_valid():
        try:
            office_update_settings(
                actor=request.user, office=office, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(office)s: settings saved.") % {"office": office}
            )
            return redirect(_back("supervise:offices", office.house))
    forms = [
        (
            other,
            form
            if other.pk == office.pk
            else OfficeSettingsForm(initial=_settings_of(other), prefix=other.kind),
        )
        for other in offices_in_order(office.house)
    ]
    context = {"house": office.house, "picker": None, "forms": forms}
    return render(request, "cards/supervise/offices.html", context, status=400)
