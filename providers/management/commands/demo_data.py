"""Demo providers, people and a few requests for a local run. Safe to run again."""

import os
import secrets
from base64 import b32encode
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.ro import cui

from cards.models import CardRequest, Kind, Outcome, Source
from cards.services import card_request_claim, card_request_file, card_request_resolve
from providers.models import (
    Category,
    House,
    Location,
    OfficeKind,
    Person,
    Provider,
    Role,
)

PASSWORD_FILE = Path(settings.BASE_DIR) / "var" / "demo_password"
# One authenticator secret for every demo CAS staff member (their second factor).
TOTP_KEY_FILE = Path(settings.BASE_DIR) / "var" / "demo_totp_key"
DEMO_DEVICE_NAME = "Demo authenticator"


def _cui(base: str) -> str:
    return base + cui.calc_check_digit(base)


PROVIDERS = [
    {
        "key": "popescu",
        "name": "Cabinet Medical Dr. Popescu",
        "fiscal_code": _cui("1845672"),
        "contract_number": "MF-TM-1042",
        "house": "TM",
        "category": Category.MF,
        "parafa": "A12345",
        "email": "cabinet.popescu@example.com",
        "phone": "+40256201234",
        "location": ("Cabinet", "Str. Eroilor 12, Timișoara", "+40256201234"),
    },
    {
        "key": "spital",
        "name": "Spitalul Clinic Județean de Urgență Timișoara",
        "fiscal_code": _cui("4663448"),
        "contract_number": "SPT-TM-0007",
        "house": "TM",
        "category": Category.SPT,
        "email": "internari@example.com",
        "phone": "+40256486300",
        "location": (
            "Internări",
            "B-dul Liviu Rebreanu 156, Timișoara",
            "+40256486301",
        ),
    },
    {
        "key": "lab",
        "name": "Laborator Analize Medicale Someș",
        "fiscal_code": _cui("3156782"),
        "contract_number": "PARA-CJ-0311",
        "house": "CJ",
        "category": Category.PARA,
        "email": "receptie@example.com",
        "phone": "+40264590123",
        "location": ("Recepție", "Str. Observatorului 9, Cluj-Napoca", "+40264590124"),
    },
]

STAFF = [
    ("tm.operator", "Ioana", "Marin", Role.PHONE_OPERATOR, "TM", []),
    ("tm.supervisor", "Mihai", "Stan", Role.SUPERVISOR, "TM", []),
    ("tm.primary", "Elena", "Dobre", Role.SPECIALIST, "TM", [OfficeKind.PRIMARY]),
    ("tm.clinical", "Andrei", "Lazăr", Role.SPECIALIST, "TM", [OfficeKind.CLINICAL]),
    ("tm.hospital", "Cristina", "Vlad", Role.SPECIALIST, "TM", [OfficeKind.HOSPITAL]),
    ("cj.operator", "Radu", "Pop", Role.PHONE_OPERATOR, "CJ", []),
    ("cj.supervisor", "Ana", "Mureșan", Role.SUPERVISOR, "CJ", []),
    ("cj.primary", "Vlad", "Rus", Role.SPECIALIST, "CJ", [OfficeKind.PRIMARY]),
    ("cj.clinical", "Oana", "Țurcan", Role.SPECIALIST, "CJ", [OfficeKind.CLINICAL]),
    ("cj.hospital", "Sorin", "Crișan", Role.SPECIALIST, "CJ", [OfficeKind.HOSPITAL]),
]

AGENTS = [
    ("dr.popescu", "Maria", "Popescu", "popescu"),
    ("spital.tm", "Dana", "Ilie", "spital"),
    ("lab.cj", "Paul", "Barbu", "lab"),
]


def demo_totp_key() -> str:
    """The demo authenticator's secret (hex), made on the first run and kept in
    var/demo_totp_key."""
    if TOTP_KEY_FILE.exists():
        return TOTP_KEY_FILE.read_text().strip()
    key = secrets.token_hex(20)
    TOTP_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    TOTP_KEY_FILE.write_text(key + "\n")
    TOTP_KEY_FILE.chmod(0o600)
    return key


class Command(BaseCommand):
    help = "Load demo providers, users and requests (only with DEBUG on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo data loads only with DEBUG=1, never in production."
            )
        password = self._password()
        totp_key = demo_totp_key()
        with transaction.atomic():
            providers = {row["key"]: self._provider(row) for row in PROVIDERS}
            admin = self._person(
                "admin",
                "Admin",
                "CNAS",
                Role.NATIONAL_ADMIN,
                password,
                is_staff=True,
                is_superuser=True,
            )
            self._authenticator(admin, totp_key)
            for username, first, last, role, code, kinds in STAFF:
                house = House.objects.get(code=code)
                person = self._person(
                    username, first, last, role, password, house=house
                )
                person.offices.set(house.offices.filter(kind__in=kinds))
                self._authenticator(person, totp_key)
            for username, first, last, key in AGENTS:
                provider = providers[key]
                self._person(
                    username,
                    first,
                    last,
                    Role.PROVIDER_AGENT,
                    password,
                    provider=provider,
                    location=provider.locations.first(),
                )
        self._requests()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            "Users: admin, tm.operator, tm.supervisor, tm.primary, tm.clinical, "
            "tm.hospital, cj.operator, cj.supervisor, cj.primary, cj.clinical, "
            "cj.hospital, dr.popescu, spital.tm, lab.cj"
        )
        self.stdout.write(f"Password for all demo users: {password}")
        self.stdout.write(
            "CAS staff and admin also enter a code from an authenticator app set "
            f"up with the secret {b32encode(bytes.fromhex(totp_key)).decode()} "
            "(or print the current one: manage.py demo_code)."
        )

    def _password(self) -> str:
        if os.environ.get("DEMO_PASSWORD"):
            return os.environ["DEMO_PASSWORD"]
        if PASSWORD_FILE.exists():
            return PASSWORD_FILE.read_text().strip()
        password = secrets.token_urlsafe(12)
        PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        PASSWORD_FILE.write_text(password + "\n")
        PASSWORD_FILE.chmod(0o600)
        return password

    def _authenticator(self, person: Person, key: str) -> None:
        TOTPDevice.objects.update_or_create(
            user=person,
            name=DEMO_DEVICE_NAME,
            defaults={"key": key, "confirmed": True},
        )

    def _provider(self, row: dict) -> Provider:
        data = {k: v for k, v in row.items() if k not in {"key", "location", "house"}}
        provider, _ = Provider.objects.update_or_create(
            fiscal_code=data.pop("fiscal_code"),
            defaults={**data, "house": House.objects.get(code=row["house"])},
        )
        name, address, phone = row["location"]
        Location.objects.update_or_create(
            provider=provider, name=name, defaults={"address": address, "phone": phone}
        )
        return provider

    def _person(self, username, first, last, role, password, **scope) -> Person:
        person, _ = Person.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "role": role,
                "email": f"{username}@example.com",
                "house": scope.pop("house", None),
                "provider": scope.pop("provider", None),
                **scope,
            },
        )
        person.set_password(password)
        person.save()
        return person

    def _requests(self) -> None:
        if CardRequest.objects.exists():
            return
        popescu = Person.objects.get(username="dr.popescu")
        spital = Person.objects.get(username="spital.tm")
        lab = Person.objects.get(username="lab.cj")
        tm, cj = House.objects.get(code="TM"), House.objects.get(code="CJ")
        card_request_file(
            actor=popescu,
            source=Source.WEB,
            house=tm,
            kind=Kind.BLOCKED,
            cid="80642000350012345678",
            note="Pacientul așteaptă la cabinet.",
        )
        card_request_file(
            actor=lab,
            source=Source.WEB,
            house=cj,
            error_code=17,
            card_number="RO1A2B3C4D5E6F70",
        )
        urgent, _ = card_request_file(
            actor=spital,
            source=Source.API,
            house=tm,
            error_code=15,
            cid="80642000350087654321",
        )
        specialist = Person.objects.get(username="tm.hospital")
        card_request_claim(actor=specialist, card_request=urgent)
        card_request_resolve(
            actor=specialist, card_request=urgent, outcome=Outcome.UNBLOCKED
        )
