"""The server-rendered request page linked from notifications."""

from cards import services
from cards.models import Outcome
from tests.cards.factories import CardRequestFactory

CID = "80642000350012345678"


def test_pages_need_login(client, db):
    response = client.get("/requests/TM-2611-00001/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_the_provider_sees_its_request_and_the_pin_reset_once_resolved(
    client, provider_agent, specialist
):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    client.force_login(provider_agent)

    page = client.get(f"/requests/{card_request.reference}/").content.decode()

    assert CID in page
    assert "Run the PIN reset on the card reader" in page
    assert "Reset PIN eCard" in page


def test_staff_not_working_it_see_the_cid_masked(client, provider_agent, supervisor):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    client.force_login(supervisor)
    page = client.get(f"/requests/{card_request.reference}/").content.decode()
    assert CID not in page
    assert "5678" in page


def test_another_providers_request_is_a_404(client, provider_agent, other_agent):
    card_request = CardRequestFactory(filed_by=provider_agent)
    client.force_login(other_agent)
    assert client.get(f"/requests/{card_request.reference}/").status_code == 404


def test_the_page_is_in_romanian_by_default(client, provider_agent, settings):
    settings.LANGUAGE_CODE = "ro"
    card_request = CardRequestFactory(filed_by=provider_agent)
    client.force_login(provider_agent)
    page = client.get(f"/requests/{card_request.reference}/").content.decode()
    assert "Istoric" in page
    assert 'lang="ro"' in page


def test_html_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
