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
