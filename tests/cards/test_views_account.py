"""The notification settings page: every signed-in role chooses email and SMS,
sets a mobile number and the language of the messages."""

import pytest
from django.test import Client

from cards import services, sms
from cards.models import Channel, Notification, Outcome
from tests.cards.factories import CardRequestFactory

URL = "/account/notifications/"
CID = "80642000350012345678"
PERSONAS = ["provider_agent", "operator", "specialist", "supervisor", "national_admin"]


def page_of(response) -> str:
    return response.content.decode()


def choices(**overrides):
    data = {"notify_email": "on", "phone": "", "language": "en"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def agent_client(client, provider_agent):
    client.force_login(provider_agent)
    return client


def test_the_page_needs_a_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_has_the_page_and_the_nav_link(client, db, request, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)

    response = client.get(URL)

    assert response.status_code == 200
    page = page_of(response)
    assert "Notification settings" in page
    assert f'href="{URL}"' in page
    assert person.email in page  # the address email goes to
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_saves_its_choices(client, db, request, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)

    response = client.post(
        URL,
        choices(
            notify_email=None, notify_sms="on", phone="0736 203 666", language="ro"
        ),
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.notify_email, person.notify_sms) == (False, True)
    assert (person.phone, person.language) == ("+40736203666", "ro")


def test_the_page_shows_the_saved_choices(agent_client, provider_agent):
    provider_agent.notify_sms = True
    provider_agent.phone = "+40736203666"
    provider_agent.save()

    page = page_of(agent_client.get(URL))

    assert 'value="+40736203666"' in page
    assert 'name="notify_sms" id="id_notify_sms" checked' in page


def test_sms_without_a_phone_number_is_refused(agent_client, provider_agent):
    response = agent_client.post(URL, choices(notify_sms="on", phone=""))

    assert response.status_code == 400
    assert "Enter the mobile number the SMS messages go to." in page_of(response)
    provider_agent.refresh_from_db()
    assert provider_agent.notify_sms is False


@pytest.mark.parametrize("phone", ["12345", "0736 203", "not a number", "+40 123"])
def test_an_invalid_phone_number_is_refused(agent_client, provider_agent, phone):
    response = agent_client.post(URL, choices(notify_sms="on", phone=phone))

    assert response.status_code == 400
    assert "This is not a valid phone number" in page_of(response)
    provider_agent.refresh_from_db()
    assert (provider_agent.notify_sms, provider_agent.phone) == (False, "")


def test_sms_to_a_landline_is_refused(agent_client):
    response = agent_client.post(URL, choices(notify_sms="on", phone="0256 201 234"))

    assert response.status_code == 400
    assert "SMS messages need a mobile number" in page_of(response)


def test_a_landline_may_be_kept_while_sms_is_off(agent_client, provider_agent):
    response = agent_client.post(URL, choices(phone="0256 201 234"))

    assert response.status_code == 302
    provider_agent.refresh_from_db()
    assert (provider_agent.notify_sms, provider_agent.phone) == (False, "+40256201234")


def test_an_unknown_language_is_refused(agent_client):
    response = agent_client.post(URL, choices(language="de"))

    assert response.status_code == 400
    assert "Select a valid choice" in page_of(response)


def test_field_errors_are_in_the_users_language(agent_client):
    agent_client.cookies["django_language"] = "ro"

    response = agent_client.post(
        URL, choices(notify_sms="on", phone="12345"), HTTP_ACCEPT_LANGUAGE="ro"
    )

    assert response.status_code == 400
    assert '<html lang="ro">' in page_of(response)
    # The phone message is translated in the shipped catalogue.
    assert "This is not a valid phone number" not in page_of(response)


def test_a_post_without_the_csrf_token_is_refused(provider_agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(provider_agent)

    response = client.post(URL, choices(notify_sms="on", phone="0736203666"))

    assert response.status_code == 403
    provider_agent.refresh_from_db()
    assert provider_agent.notify_sms is False


def test_without_an_email_address_email_cannot_be_turned_on(client, provider_agent):
    provider_agent.email = ""
    provider_agent.save()
    client.force_login(provider_agent)

    response = client.post(URL, choices(notify_email="on"))

    assert response.status_code == 302
    provider_agent.refresh_from_db()
    assert provider_agent.notify_email is False
    assert "has no email address" in page_of(client.get(URL))


def test_the_page_passes_the_strict_csp(agent_client):
    response = agent_client.get(URL)

    page = page_of(response)
    assert "style=" not in page
    assert "<script>" not in page and "onclick" not in page
    assert "Content-Security-Policy" in response.headers


def test_the_saved_choices_are_used_by_the_next_resolve(
    agent_client,
    provider_agent,
    specialist,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SMS_BACKEND = "cards.sms.LocmemBackend"
    sms.outbox.clear()
    agent_client.post(
        URL,
        choices(
            notify_email=None, notify_sms="on", phone="0736 203 666", language="ro"
        ),
    )
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)

    with django_capture_on_commit_callbacks(execute=True):
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
        )

    mine = Notification.objects.filter(recipient=provider_agent)
    assert set(mine.values_list("channel", flat=True)) == {Channel.IN_APP, Channel.SMS}
    assert set(mine.values_list("language", flat=True)) == {"ro"}
    [message] = sms.outbox
    assert message["to"] == "+40736203666"
    assert "Cardul a fost deblocat" in message["text"]
    sms.outbox.clear()


def _admin_form(person, **changes):
    """The admin's change form for `person`, as the admin builds it."""
    from django.contrib import admin
    from django.forms.models import model_to_dict
    from django.test import RequestFactory

    from providers.models import Person

    request = RequestFactory().get("/")
    request.user = person
    form_class = admin.site._registry[Person].get_form(request, person)
    data = {
        key: value
        for key, value in model_to_dict(person).items()
        if value is not None and key not in ("groups", "user_permissions")
    }
    data["offices"] = [office.pk for office in person.offices.all()]
    data["date_joined_0"], data["date_joined_1"] = "2026-11-01", "08:00:00"
    data.update(changes)
    return form_class(data, instance=person)


def test_the_admin_stores_the_phone_in_e164(provider_agent):
    form = _admin_form(provider_agent, phone="0736 203 666", notify_sms=True)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+40736203666"


def test_the_admin_refuses_sms_without_a_phone(provider_agent):
    form = _admin_form(provider_agent, phone="", notify_sms=True)

    assert not form.is_valid()
    assert form.errors["phone"] == ["Enter the mobile number the SMS messages go to."]
