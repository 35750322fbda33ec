"""A supervisor runs the house: reassigning and releasing requests (service and
pages), the workload page, and the offices' target times, hours and contacts."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cards import services
from cards.exceptions import PermissionDenied, TransitionNotAllowed
from cards.models import CardRequest, Event, EventKind, Status
from providers.models import Office
from providers.services import office_update_settings
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import SpecialistFactory, SupervisorFactory, house

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(specialist, provider_agent):
    card_request = CardRequestFactory(filed_by=provider_agent)
    return services.card_request_claim(actor=specialist, card_request=card_request)


# Reassigning -------------------------------------------------------------------


def test_a_supervisor_gives_a_claimed_request_to_another_specialist(
    supervisor, specialist, other_specialist, claimed
):
    services.card_request_reassign(
        actor=supervisor, card_request=claimed, assignee=other_specialist
    )

    claimed.refresh_from_db()
    assert claimed.assignee == other_specialist
    assert claimed.status == Status.IN_PROGRESS
    event = claimed.events.get(kind=EventKind.REASSIGNED)
    assert event.actor == supervisor
    assert event.text == f"{specialist} → {other_specialist}"


def test_a_new_request_given_to_a_specialist_is_theirs_in_progress(
    supervisor, specialist, provider_agent
):
    card_request = CardRequestFactory(filed_by=provider_agent)

    services.card_request_reassign(
        actor=supervisor, card_request=card_request, assignee=specialist
    )

    card_request.refresh_from_db()
    assert (card_request.status, card_request.assignee) == (
        Status.IN_PROGRESS,
        specialist,
    )
    assert card_request.first_action_at is not None


def test_a_request_waiting_for_information_keeps_its_status(
    supervisor, specialist, other_specialist, claimed
):
    services.card_request_ask_info(
        actor=specialist, card_request=claimed, question="Which reader?"
    )

    services.card_request_reassign(
        actor=supervisor, card_request=claimed, assignee=other_specialist
    )

    claimed.refresh_from_db()
    assert (claimed.status, claimed.assignee) == (Status.NEEDS_INFO, other_specialist)


def test_a_request_goes_only_to_someone_working_its_office(
    supervisor, claimed, hospital_specialist, cj_specialist
):
    for person in (hospital_specialist, cj_specialist):
        with pytest.raises(ValidationError, match="does not work this request"):
            services.card_request_reassign(
                actor=supervisor, card_request=claimed, assignee=person
            )
    claimed.refresh_from_db()
    assert not claimed.events.filter(kind=EventKind.REASSIGNED).exists()


def test_reassigning_to_the_person_who_has_it_is_refused(
    supervisor, specialist, claimed
):
    with pytest.raises(ValidationError, match="already with"):
        services.card_request_reassign(
            actor=supervisor, card_request=claimed, assignee=specialist
        )


def test_only_supervisors_of_the_house_reassign(
    specialist, other_specialist, claimed, operator, cj
):
    with pytest.raises(PermissionDenied):
        services.card_request_reassign(
            actor=specialist, card_request=claimed, assignee=other_specialist
        )
    with pytest.raises(PermissionDenied):
        services.card_request_reassign(
            actor=operator, card_request=claimed, assignee=other_specialist
        )
    with pytest.raises(PermissionDenied):
        services.card_request_reassign(
            actor=SupervisorFactory(house=cj),
            card_request=claimed,
            assignee=other_specialist,
        )


def test_a_resolved_request_is_not_reassigned(
    supervisor, specialist, other_specialist, claimed
):
    services.card_request_resolve(
        actor=specialist, card_request=claimed, outcome="unblocked"
    )
    with pytest.raises(TransitionNotAllowed, match="cannot be reassigned"):
        services.card_request_reassign(
            actor=supervisor, card_request=claimed, assignee=other_specialist
        )


def test_asking_again_while_waiting_for_information_is_still_refused(
    specialist, claimed
):
    services.card_request_ask_info(
        actor=specialist, card_request=claimed, question="Which reader?"
    )
    with pytest.raises(TransitionNotAllowed):
        services.card_request_ask_info(
            actor=specialist, card_request=claimed, question="And the house?"
        )


# The workload page ---------------------------------------------------------------


def test_the_workload_shows_work_per_office_and_person_and_idle_requests(
    client, supervisor, specialist, other_specialist, claimed, provider_agent, cj
):
    CardRequestFactory(filed_by=provider_agent)  # new, waiting
    CardRequestFactory(house=cj)  # another house's
    idle = timezone.now() - timedelta(hours=3)
    CardRequest.objects.filter(pk=claimed.pk).update(updated_at=idle)
    client.force_login(supervisor)

    response = client.get(reverse("supervise:workload"))

    assert response.status_code == 200
    offices = {row["office"].kind: row for row in response.context["offices"]}
    assert offices["primary"]["new"] == 1
    assert offices["primary"]["in_progress"] == 1
    assert offices["primary"]["idle"] == 1
    people = {load.person: load for load in response.context["people"]}
    assert people[specialist].in_progress == 1
    assert people[specialist].idle == 1
    assert people[other_specialist].open == 0
    rows = response.context["claimed"]
    assert [card_request for card_request, _form in rows] == [claimed]
    choices = [label for _pk, label in rows[0][1].fields["assignee"].choices]
    assert str(other_specialist) in choices
    assert str(specialist) not in choices
    assert b"idle" in response.content


@pytest.mark.parametrize("role", ["provider_agent", "operator", "specialist"])
def test_other_roles_get_no_workload_reports_or_offices(role, request, client):
    client.force_login(request.getfixturevalue(role))
    for name in ("supervise:workload", "supervise:offices", "reports:home"):
        assert client.get(reverse(name)).status_code == 403


def test_a_national_admin_picks_the_house(client, national_admin, cj):
    CardRequestFactory(house=cj)
    client.force_login(national_admin)

    response = client.get(reverse("supervise:workload"), {"house": "CJ"})

    assert response.context["house"] == cj
    offices = {row["office"].kind: row for row in response.context["offices"]}
    assert offices["primary"]["new"] == 1


def test_reassign_and_release_from_the_workload_page(
    client, supervisor, specialist, other_specialist, claimed
):
    client.force_login(supervisor)
    url = reverse("supervise:reassign", args=[claimed.reference])

    response = client.post(url, {f"{claimed.reference}-assignee": other_specialist.pk})

    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.assignee == other_specialist
    response = client.post(reverse("supervise:release", args=[claimed.reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("supervise:workload"))
    claimed.refresh_from_db()
    assert (claimed.status, claimed.assignee) == (Status.NEW, None)
    kinds = list(claimed.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.REASSIGNED, EventKind.UNCLAIMED]
    page = client.get(reverse("queue:detail", args=[claimed.reference]))
    assert "Reassigned" in page.content.decode()


def test_a_refused_reassignment_says_why(
    client, supervisor, claimed, hospital_specialist
):
    client.force_login(supervisor)
    url = reverse("supervise:reassign", args=[claimed.reference])

    response = client.post(
        url, {f"{claimed.reference}-assignee": hospital_specialist.pk}, follow=True
    )

    assert "does not work this request" in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.assignee != hospital_specialist


def test_a_specialist_cannot_post_a_reassignment(
    client, specialist, other_specialist, claimed
):
    client.force_login(specialist)
    url = reverse("supervise:reassign", args=[claimed.reference])

    response = client.post(url, {f"{claimed.reference}-assignee": other_specialist.pk})

    assert response.status_code == 403
    assert not Event.objects.filter(kind=EventKind.REASSIGNED).exists()


def test_another_houses_request_is_not_found(client, cj, provider_agent):
    card_request = CardRequestFactory(house=cj)
    client.force_login(SupervisorFactory())

    for name in ("supervise:reassign", "supervise:release"):
        response = client.post(reverse(name, args=[card_request.reference]))
        assert response.status_code == 404


# Offices ----------------------------------------------------------------------


def _office_form(office, **changes):
    data = {
        "name": office.name,
        "phones": "\n".join(office.phones),
        "email": office.email,
        "hours": office.hours,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "friday_closes_at": "",
        "sla_minutes": str(office.sla_minutes),
    }
    data.update(changes)
    return {f"{office.kind}-{key}": value for key, value in data.items()}


def test_a_supervisor_sets_an_offices_target_hours_and_phones(
    client, supervisor, provider_agent
):
    office = Office.objects.get(house__code="TM", kind="primary")
    client.force_login(supervisor)

    response = client.post(
        reverse("supervise:office_update", args=[office.pk]),
        _office_form(
            office,
            sla_minutes="90",
            friday_closes_at="13:30",
            phones="+40736203666\n0256 201 234",
        ),
    )

    assert response.status_code == 302
    office.refresh_from_db()
    assert office.sla_minutes == 90
    assert office.friday_closes_at == time(13, 30)
    assert office.phones == ["0736 203 666", "0256 201 234"]
    # Requests filed from now on count the new target.
    start = timezone.now()
    assert services.due_at_for(office=office, start=start) > start


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phones": "12"}, "phones", "not a valid phone number"),
        ({"closes_at": "07:00"}, "closes_at", "must close after it opens"),
        ({"sla_minutes": "0"}, "sla_minutes", "greater than or equal to 1"),
        ({"opens_at": "8 o'clock"}, "opens_at", "valid time"),
    ],
)
def test_office_settings_refuse_bad_input_with_field_errors(
    client, supervisor, changes, field, message
):
    office = Office.objects.get(house__code="TM", kind="primary")
    before = (office.sla_minutes, office.closes_at, list(office.phones))
    client.force_login(supervisor)

    response = client.post(
        reverse("supervise:office_update", args=[office.pk]),
        _office_form(office, **changes),
    )

    assert response.status_code == 400
    form = dict(response.context["forms"])[office]
    assert message in " ".join(form.errors[field])
    office.refresh_from_db()
    assert (office.sla_minutes, office.closes_at, list(office.phones)) == before


def test_another_houses_office_is_not_found(client, supervisor):
    office = Office.objects.get(house__code="CJ", kind="primary")
    client.force_login(supervisor)

    response = client.post(
        reverse("supervise:office_update", args=[office.pk]),
        _office_form(office, sla_minutes="5"),
    )

    assert response.status_code == 404
    office.refresh_from_db()
    assert office.sla_minutes != 5


def test_the_office_service_checks_the_house_itself(specialist):
    office = Office.objects.get(house__code="TM", kind="primary")
    with pytest.raises(PermissionDenied):
        office_update_settings(actor=specialist, office=office, sla_minutes=5)
    other = SupervisorFactory(house=house("CJ"))
    with pytest.raises(PermissionDenied):
        office_update_settings(actor=other, office=office, sla_minutes=5)


def test_a_national_admin_sets_any_houses_office(client, national_admin):
    office = Office.objects.get(house__code="CJ", kind="hospital")
    client.force_login(national_admin)

    page = client.get(reverse("supervise:offices"), {"house": "CJ"})
    response = client.post(
        reverse("supervise:office_update", args=[office.pk]),
        _office_form(office, sla_minutes="45"),
    )

    assert page.status_code == 200
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.sla_minutes == 45


def test_a_new_specialist_shows_on_the_workload(client, supervisor):
    newcomer = SpecialistFactory(first_name="Ilinca", last_name="Ene")
    client.force_login(supervisor)

    response = client.get(reverse("supervise:workload"))

    assert newcomer in [load.person for load in response.context["people"]]


def test_office_settings_ignore_fields_they_do_not_take(client, supervisor, cj):
    office = Office.objects.get(house__code="TM", kind="primary")
    client.force_login(supervisor)
    form = _office_form(office, sla_minutes="75")
    form.update({"primary-house": cj.pk, "primary-kind": "hospital", "primary-id": 1})

    response = client.post(reverse("supervise:office_update", args=[office.pk]), form)

    assert response.status_code == 302
    office.refresh_from_db()
    assert (office.house.code, office.kind, office.sla_minutes) == ("TM", "primary", 75)


def test_the_workload_takes_the_same_queries_for_more_requests(
    client, supervisor, specialist, other_specialist, provider_agent
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("supervise:workload")).status_code == 200
        return len(captured)

    def claim_some(n):
        for index in range(n):
            card_request = CardRequestFactory(filed_by=provider_agent)
            who = specialist if index % 2 else other_specialist
            services.card_request_claim(actor=who, card_request=card_request)

    claim_some(2)
    queries()  # the person read once (kept where there is Redis)
    few = queries()
    claim_some(15)
    assert queries() == few
