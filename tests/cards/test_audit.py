"""Access records: every showing of a full CID or card number writes exactly one,
lists write none, supervisors of the house and national admins read them, and
nobody can change or delete them."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from django.utils import timezone

from cards import services
from cards.admin import IdentifierAccessAdmin
from cards.models import (
    AccessChannel,
    AppendOnly,
    CardRequest,
    IdentifierAccess,
    Kind,
    Outcome,
    Status,
)
from cards.services.audit import identifier_access_record
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import AdminFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

CID = "80642000350012345678"
MASKED = "•" * 16 + "5678"


@pytest.fixture
def card_request(provider_agent):
    return CardRequestFactory(filed_by=provider_agent, identifier=CID)


@pytest.fixture
def claimed(card_request, specialist):
    return services.card_request_claim(actor=specialist, card_request=card_request)


@pytest.fixture
def cj_supervisor(cj):
    return SupervisorFactory(username="cj.supervisor", house=cj)


def accesses(**filters):
    return list(IdentifierAccess.objects.filter(**filters))


# Writing: one per showing ---------------------------------------------------------


def test_the_specialist_working_a_request_writes_one_record_per_page_view(
    client, claimed, specialist
):
    client.force_login(specialist)
    url = f"/queue/{claimed.reference}/"
    for expected in (1, 2):
        response = client.get(url, REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200
        assert CID in response.content.decode()
        assert IdentifierAccess.objects.count() == expected
    record = IdentifierAccess.objects.first()
    assert record.person == specialist and record.card_request == claimed
    assert record.channel == AccessChannel.WEB
    assert record.path == url
    assert record.client_address == "10.1.2.3"
    assert record.created_at <= timezone.now()


def test_the_provider_page_writes_one_record_per_view(
    client, card_request, provider_agent
):
    client.force_login(provider_agent)
    response = client.get(
        f"/requests/{card_request.reference}/",
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert response.status_code == 200 and CID in response.content.decode()
    (record,) = accesses(card_request=card_request)
    assert record.person == provider_agent and record.channel == AccessChannel.WEB
    assert record.client_address == "192.0.2.7"
    assert record.forwarded_for == "198.51.100.1"


def test_a_form_error_shown_on_the_provider_page_is_a_showing_too(
    client, card_request, provider_agent, specialist
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_ask_info(
        actor=specialist, card_request=card_request, question="Which reader?"
    )
    client.force_login(provider_agent)
    response = client.post(
        f"/requests/{card_request.reference}/answer/", {"answer": ""}
    )
    assert response.status_code == 400 and CID in response.content.decode()
    assert len(accesses(person=provider_agent)) == 1


def test_the_api_detail_writes_one_record_and_the_list_none(
    api, card_request, provider_agent
):
    client = api(provider_agent)
    listed = client.get("/api/v1/requests/")
    assert listed.json()["results"][0]["cid"] == MASKED
    assert IdentifierAccess.objects.count() == 0
    detail = client.get(f"/api/v1/requests/{card_request.reference}/")
    assert detail.json()["cid"] == CID
    (record,) = accesses()
    assert record.channel == AccessChannel.API and record.person == provider_agent
    assert record.path == f"/api/v1/requests/{card_request.reference}/"


def test_filing_over_the_api_records_the_response_that_echoes_the_cid(
    api, provider_agent
):
    response = api(provider_agent).post(
        "/api/v1/requests/", {"error_code": 15, "cid": CID}, format="json"
    )
    assert response.status_code == 201 and response.json()["cid"] == CID
    (record,) = accesses()
    assert record.card_request.reference == response.json()["reference"]


def test_a_claim_over_the_api_answers_with_the_cid_and_records_it(
    api, card_request, specialist
):
    response = api(specialist).post(f"/api/v1/requests/{card_request.reference}/claim/")
    assert response.status_code == 200 and response.json()["cid"] == CID
    assert len(accesses(person=specialist, channel=AccessChannel.API)) == 1


@pytest.mark.parametrize(
    "role", ["operator", "other_specialist", "supervisor", "national_admin"]
)
def test_masked_views_write_no_record(request, client, api, claimed, role):
    person = request.getfixturevalue(role)
    client.force_login(person)
    page = client.get(f"/queue/{claimed.reference}/")
    assert page.status_code == 200 and CID not in page.content.decode()
    detail = api(person).get(f"/api/v1/requests/{claimed.reference}/")
    assert detail.json()["cid"] == MASKED
    assert IdentifierAccess.objects.count() == 0


def test_lists_write_no_record(client, api, claimed, specialist, provider_agent):
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    assert client.get("/queue/rows/").status_code == 200
    api(specialist).get("/api/v1/requests/")
    client.force_login(provider_agent)
    page = client.get("/requests/")
    assert page.status_code == 200 and CID not in page.content.decode()
    assert IdentifierAccess.objects.count() == 0


def test_a_purged_request_shows_nothing_and_records_nothing(
    api, provider_agent, settings
):
    settings.PURGE_AFTER_DAYS = 30
    old = CardRequestFactory(
        filed_by=provider_agent,
        identifier=CID,
        status=Status.CLOSED,
        outcome=Outcome.UNBLOCKED,
        closed_at=timezone.now() - timedelta(days=31),
    )
    services.card_requests_purge_personal_data()
    response = api(provider_agent).get(f"/api/v1/requests/{old.reference}/")
    assert response.json()["cid"] == ""
    assert IdentifierAccess.objects.count() == 0


# Reading: supervisors of the house and national admins ----------------------------


def test_a_supervisor_reads_the_records_of_their_house_masked(
    client, claimed, specialist, supervisor
):
    client.force_login(specialist)
    client.get(f"/queue/{claimed.reference}/")
    client.force_login(supervisor)
    page = client.get("/audit/access/")
    assert page.status_code == 200
    html = page.content.decode()
    assert claimed.reference in html and specialist.username in html
    assert CID not in html and MASKED in html
    assert 'href="/audit/access/"' in html  # the nav link


def test_the_request_desk_shows_the_supervisor_who_saw_the_identifier(
    client, claimed, specialist, supervisor
):
    client.force_login(specialist)
    client.get(f"/queue/{claimed.reference}/")
    client.force_login(supervisor)
    html = client.get(f"/queue/{claimed.reference}/").content.decode()
    assert "Who saw the identifier" in html and str(specialist) in html
    client.force_login(specialist)
    assert (
        "Who saw the identifier"
        not in client.get(f"/queue/{claimed.reference}/").content.decode()
    )


def test_a_supervisor_of_another_house_sees_nothing(
    client, claimed, specialist, cj_supervisor
):
    client.force_login(specialist)
    client.get(f"/queue/{claimed.reference}/")
    client.force_login(cj_supervisor)
    page = client.get("/audit/access/")
    assert page.status_code == 200
    assert claimed.reference not in page.content.decode()
    assert list(page.context["page"]) == []


def test_a_national_admin_reads_every_house_and_filters(
    client, claimed, specialist, cj_specialist
):
    other = CardRequestFactory(house=claimed.house)
    services.card_request_claim(actor=specialist, card_request=other)
    client.force_login(specialist)
    client.get(f"/queue/{claimed.reference}/")
    client.get(f"/queue/{other.reference}/")
    client.force_login(AdminFactory(username="cnas"))
    everything = client.get("/audit/access/").context["page"]
    assert len(everything) == 2
    by_reference = client.get("/audit/access/", {"reference": claimed.reference})
    assert [a.card_request for a in by_reference.context["page"]] == [claimed]
    by_person = client.get("/audit/access/", {"person": "nobody-like-this"})
    assert list(by_person.context["page"]) == []
    by_person = client.get("/audit/access/", {"person": specialist.username})
    assert len(by_person.context["page"]) == 2


def test_the_records_page_is_paginated(client, claimed, specialist, supervisor):
    rf = RequestFactory()
    for _ in range(55):
        identifier_access_record(
            actor=specialist,
            card_request=claimed,
            channel=AccessChannel.WEB,
            http_request=rf.get("/queue/x/"),
        )
    client.force_login(supervisor)
    first = client.get("/audit/access/")
    assert len(first.context["page"]) == 50 and first.context["page"].has_next()
    second = client.get("/audit/access/", {"page": 2})
    assert len(second.context["page"]) == 5


@pytest.mark.parametrize("role", ["specialist", "operator", "provider_agent"])
def test_other_roles_cannot_open_the_records_page(request, client, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get("/audit/access/")
    assert response.status_code == 403
    assert (
        'href="/audit/access/"'
        not in client.get("/account/notifications/").content.decode()
    )


# Nobody changes them ----------------------------------------------------------------


@pytest.fixture
def record(claimed, specialist):
    return identifier_access_record(
        actor=specialist, card_request=claimed, channel=AccessChannel.WEB
    )


def test_a_record_cannot_be_changed_or_deleted_through_the_orm(record):
    record.channel = AccessChannel.API
    with pytest.raises(AppendOnly, match="never changed"):
        record.save()
    with pytest.raises(AppendOnly, match="never deleted"):
        record.delete()
    with pytest.raises(AppendOnly, match="never changed"):
        IdentifierAccess.objects.filter(pk=record.pk).update(channel="api")
    with pytest.raises(AppendOnly, match="never deleted"):
        IdentifierAccess.objects.all().delete()
    assert IdentifierAccess.objects.get(pk=record.pk).channel == AccessChannel.WEB


def test_the_database_refuses_an_update_too(record):
    """Below the ORM guard: a trigger (PostgreSQL: update and delete; SQLite:
    update)."""
    from django.db import connection

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE cards_identifieraccess SET channel = 'api' WHERE id = %s",
            [record.pk],
        )
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "DELETE FROM cards_identifieraccess WHERE id = %s", [record.pk]
            )
    assert IdentifierAccess.objects.filter(pk=record.pk).exists()


def test_the_request_of_a_record_cannot_be_deleted(record):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        CardRequest.objects.filter(pk=record.card_request_id).delete()


@pytest.fixture
def superuser_client(client, national_admin):
    national_admin.is_staff = national_admin.is_superuser = True
    national_admin.save()
    client.force_login(national_admin)
    return client


def test_the_admin_is_read_only_even_for_a_superuser(superuser_client, record):
    admin_client = superuser_client
    model_admin = admin.site._registry[IdentifierAccess]
    assert isinstance(model_admin, IdentifierAccessAdmin)
    superuser_request = RequestFactory().get("/admin/")
    superuser_request.user = type("U", (), {"is_superuser": True, "is_active": True})()
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request, record)
    assert not model_admin.has_delete_permission(superuser_request, record)
    changelist = admin_client.get("/admin/cards/identifieraccess/")
    assert changelist.status_code == 200
    assert CID not in changelist.content.decode()
    assert MASKED in changelist.content.decode()
    change = admin_client.get(f"/admin/cards/identifieraccess/{record.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.get("/admin/cards/identifieraccess/add/").status_code == 403
    deleted = admin_client.post(
        f"/admin/cards/identifieraccess/{record.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert IdentifierAccess.objects.filter(pk=record.pk).exists()


def test_the_record_never_holds_the_identifier(record):
    values = [
        str(getattr(record, field.attname))
        for field in IdentifierAccess._meta.concrete_fields
    ]
    assert not any(CID in value or CID[-4:] in value for value in values)


def test_card_numbers_are_recorded_the_same_way(api, provider_agent):
    invalid = CardRequestFactory(
        filed_by=provider_agent, kind=Kind.INVALID, identifier="RO1A2B3C4D5E6F70"
    )
    data = api(provider_agent).get(f"/api/v1/requests/{invalid.reference}/").json()
    assert data["card_number"] == "RO1A2B3C4D5E6F70"
    assert len(accesses(card_request=invalid)) == 1
