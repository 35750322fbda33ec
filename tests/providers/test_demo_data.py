import pytest
from django.core.management import CommandError, call_command

from cards.models import CardRequest
from providers.models import Person, Role

pytestmark = pytest.mark.django_db

USERS = {
    "admin": Role.NATIONAL_ADMIN,
    "tm.operator": Role.PHONE_OPERATOR,
    "tm.supervisor": Role.SUPERVISOR,
    "tm.primary": Role.SPECIALIST,
    "tm.clinical": Role.SPECIALIST,
    "tm.hospital": Role.SPECIALIST,
    "cj.operator": Role.PHONE_OPERATOR,
    "cj.supervisor": Role.SUPERVISOR,
    "cj.primary": Role.SPECIALIST,
    "cj.clinical": Role.SPECIALIST,
    "cj.hospital": Role.SPECIALIST,
    "dr.popescu": Role.PROVIDER_AGENT,
    "spital.tm": Role.PROVIDER_AGENT,
    "lab.cj": Role.PROVIDER_AGENT,
}


def test_demo_data_never_loads_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="never in production"):
        call_command("demo_data")
    assert not Person.objects.exists()


def test_demo_data_loads_and_can_run_again(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    call_command("demo_data")
    call_command("demo_data")

    assert dict(Person.objects.values_list("username", "role")) == USERS
    assert Person.objects.get(username="tm.hospital").offices.get().kind == "hospital"
    assert Person.objects.get(username="dr.popescu").provider.name == (
        "Cabinet Medical Dr. Popescu"
    )
    assert Person.objects.get(username="lab.cj").provider.house.code == "CJ"
    assert Person.objects.get(username="tm.operator").check_password("demo-pass-123")
    assert CardRequest.objects.count() == 3
