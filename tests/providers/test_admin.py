"""The Django admin: reference data editable, requests read-only, identifiers masked."""

import pytest

from providers.models import Provider
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import house, valid_cui


@pytest.fixture
def admin_client(client, national_admin):
    national_admin.is_staff = national_admin.is_superuser = True
    national_admin.save()
    client.force_login(national_admin)
    return client


def test_a_provider_is_saved_with_a_normalised_fiscal_code_and_phone(admin_client):
    response = admin_client.post(
        "/admin/providers/provider/add/",
        {
            "name": "Cabinet Dr. Vasile",
            "fiscal_code": "RO " + valid_cui(4242),
            "contract_number": "MF-TM-9",
            "house": house("TM").pk,
            "category": "MF",
            "phone": "0256 123 456",
            "is_active": "on",
            "locations-TOTAL_FORMS": "1",
            "locations-INITIAL_FORMS": "0",
            "locations-0-name": "Cabinet",
            "locations-0-phone": "0356 111 222",
        },
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    provider = Provider.objects.get(name="Cabinet Dr. Vasile")
    assert provider.fiscal_code == valid_cui(4242)
    assert provider.phone == "+40256123456"
    assert provider.locations.get().phone == "+40356111222"


def test_a_bad_fiscal_code_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/providers/provider/add/",
        {
            "name": "X",
            "fiscal_code": "12345678",
            "contract_number": "1",
            "house": house("TM").pk,
            "category": "MF",
            "locations-TOTAL_FORMS": "0",
            "locations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "wrong check digit" in response.content.decode()
    assert not Provider.objects.filter(name="X").exists()


def test_requests_are_read_only_and_masked_in_the_admin(admin_client):
    card_request = CardRequestFactory(identifier="80642000350012345678")
    listing = admin_client.get("/admin/cards/cardrequest/").content.decode()
    page = admin_client.get(f"/admin/cards/cardrequest/{card_request.pk}/change/")
    assert card_request.reference in listing
    assert "80642000350012345678" not in listing
    assert "80642000350012345678" not in page.content.decode()
    assert admin_client.get("/admin/cards/cardrequest/add/").status_code == 403


def test_category_routes_are_editable_per_house(admin_client):
    response = admin_client.get(f"/admin/providers/house/{house('TM').pk}/change/")
    assert response.status_code == 200
    assert "category_routes" in response.content.decode()


def _office_form(office, **changes):
    data = {
        "house": office.house_id,
        "kind": office.kind,
        "name": office.name,
        "phones": "[]",
        "email": "",
        "hours": "Luni–Joi 08:30–16:30, Vineri 08:30–14:00",
        "opens_at": "08:30",
        "closes_at": "16:30",
        "friday_closes_at": "14:00",
        "sla_minutes": "120",
    }
    data.update(changes)
    return data


def test_office_hours_and_target_are_edited_in_the_admin(admin_client):
    office = house("TM").offices.get(kind="primary")
    response = admin_client.post(
        f"/admin/providers/office/{office.pk}/change/", _office_form(office)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    office.refresh_from_db()
    assert (
        str(office.opens_at),
        str(office.closes_at),
        str(office.friday_closes_at),
    ) == ("08:30:00", "16:30:00", "14:00:00")
    assert office.sla_minutes == 120


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": "08:00"}, "closes_at"),
        ({"friday_closes_at": "08:30"}, "friday_closes_at"),
        ({"sla_minutes": "0"}, "sla_minutes"),
    ],
)
def test_office_hours_that_leave_no_working_time_are_refused(
    admin_client, changes, field
):
    office = house("TM").offices.get(kind="primary")
    before = (office.closes_at, office.friday_closes_at, office.sla_minutes)
    response = admin_client.post(
        f"/admin/providers/office/{office.pk}/change/", _office_form(office, **changes)
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    office.refresh_from_db()
    assert (office.closes_at, office.friday_closes_at, office.sla_minutes) == before
