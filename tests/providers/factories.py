import time
from base64 import b32decode

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory
from stdnum.ro import cui

from providers.models import Category, House, Location, Person, Provider, Role


def house(code: str) -> House:
    """Houses ship as data (a migration); factories pick them by code."""
    return House.objects.get(code=code)


def valid_cui(n: int) -> str:
    base = str(1_000_000 + n)
    return base + cui.calc_check_digit(base)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    name = factory.Faker("company", locale="ro_RO")
    fiscal_code = factory.Sequence(valid_cui)
    contract_number = factory.Sequence(lambda n: f"C-{n:05d}")
    house = factory.LazyFunction(lambda: house("TM"))
    category = Category.MF
    email = factory.Sequence(lambda n: f"provider{n}@example.com")
    phone = factory.Sequence(lambda n: f"+40256{200000 + n:06d}")

    @factory.post_generation
    def location(obj, create, extracted, **kwargs):
        if create:
            LocationFactory(provider=obj)


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    provider = factory.SubFactory(ProviderFactory)
    name = "Cabinet"
    address = factory.Faker("street_address", locale="ro_RO")
    phone = factory.Sequence(lambda n: f"+40356{300000 + n:06d}")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name", locale="ro_RO")
    last_name = factory.Faker("last_name", locale="ro_RO")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery")
    language = "en"


class AgentFactory(PersonFactory):
    role = Role.PROVIDER_AGENT
    provider = factory.SubFactory(ProviderFactory)
    location = factory.LazyAttribute(lambda o: o.provider.locations.first())


class OperatorFactory(PersonFactory):
    role = Role.PHONE_OPERATOR
    house = factory.LazyFunction(lambda: house("TM"))


class SupervisorFactory(PersonFactory):
    role = Role.SUPERVISOR
    house = factory.LazyFunction(lambda: house("TM"))


class AdminFactory(PersonFactory):
    role = Role.NATIONAL_ADMIN


class SpecialistFactory(PersonFactory):
    """A specialist of a house working the offices named by kind (default: all)."""

    role = Role.SPECIALIST
    house = factory.LazyFunction(lambda: house("TM"))

    @factory.post_generation
    def office_kinds(obj, create, extracted, **kwargs):
        if create:
            offices = obj.house.offices.all()
            if extracted:
                offices = offices.filter(kind__in=extracted)
            obj.offices.set(offices)


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed authenticator app (TOTP) of a CAS staff member."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(SpecialistFactory)
    name = "Authenticator app"
    confirmed = True


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The 6-digit code the person's app shows now (or at time `at`)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def totp_code_for_secret(secret: str) -> str:
    """The code an app shows now for a base32 secret read off the enrolment page."""
    compact = secret.replace(" ", "").upper()
    key = b32decode(compact + "=" * (-len(compact) % 8))
    return f"{TOTP(key).token():06d}"
