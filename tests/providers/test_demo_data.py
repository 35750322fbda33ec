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


def test_demo_staff_sign_in_with_the_printed_authenticator_code(
    settings, monkeypatch, tmp_path, client
):
    from io import StringIO

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from providers.management.commands import demo_data

    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    monkeypatch.setattr(demo_data, "TOTP_KEY_FILE", tmp_path / "demo_totp_key")
    out = StringIO()
    call_command("demo_data", stdout=out)
    call_command("demo_data", stdout=StringIO())

    assert "manage.py demo_code" in out.getvalue()
    staff = [u for u, role in USERS.items() if role != Role.PROVIDER_AGENT]
    devices = TOTPDevice.objects.filter(confirmed=True)
    assert sorted(devices.values_list("user__username", flat=True)) == sorted(staff)
    assert not TOTPDevice.objects.filter(user__username="dr.popescu").exists()

    code = StringIO()
    call_command("demo_code", stdout=code)
    token = code.getvalue().split()[0]
    client.post("/login/", {"username": "tm.primary", "password": "demo-pass-123"})
    response = client.post("/login/code/", {"code": token})
    assert response.status_code == 302
    assert client.get("/queue/").status_code == 200


def test_demo_code_never_runs_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="never in production"):
        call_command("demo_code")
