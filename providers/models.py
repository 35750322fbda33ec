import datetime

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpdesk.choices import ChoiceLabels
from providers import validators


class House(models.Model):
    """A health insurance house (CAS): the queue a card's requests land in."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("official name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    cnp_county = models.CharField(_("county code in CNP"), max_length=2, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("house")
        verbose_name_plural = _("houses")

    def __str__(self) -> str:
        return self.short_name


class OfficeKind(models.TextChoices):
    PRIMARY = "primary", _("Primary care")
    CLINICAL = "clinical", _("Clinical and paraclinical specialties")
    HOSPITAL = "hospital", _("Hospital and pre-hospital emergency care")


class Office(ChoiceLabels, models.Model):
    """One office per (house, kind), with the public line providers call."""

    house = models.ForeignKey(House, models.CASCADE, related_name="offices")
    kind = models.CharField(_("kind"), max_length=10, choices=OfficeKind)
    name = models.CharField(_("public name"), max_length=250, blank=True)
    phones = models.JSONField(_("phone numbers"), default=list, blank=True)
    email = models.EmailField(_("email"), blank=True)
    hours = models.CharField(
        _("working hours"), max_length=120, default="Luni–Vineri 08:00–16:00"
    )
    # Office hours on working days (Monday to Friday, Romanian public holidays off),
    # which SLA due times count in.
    opens_at = models.TimeField(_("opens at"), default=datetime.time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(16, 0))
    friday_closes_at = models.TimeField(
        _("closes on Friday at"),
        null=True,
        blank=True,
        help_text=_("Leave empty when Friday is a full day."),
    )
    sla_minutes = models.PositiveIntegerField(
        _("target time to resolve (working minutes)"), default=240
    )

    class Meta:
        ordering = ["house__code", "kind"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.UniqueConstraint(
                fields=["house", "kind"], name="office_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.house.short_name} · {self.get_kind_display()}"

    def clean(self) -> None:
        """The office must be open for some time each working day, and its target
        must be at least a minute (due times are counted in its open hours)."""
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The office must close after it opens.")
        if (
            self.opens_at
            and self.friday_closes_at
            and self.friday_closes_at <= self.opens_at
        ):
            errors["friday_closes_at"] = _("The office must close after it opens.")
        if self.sla_minutes is not None and self.sla_minutes < 1:
            errors["sla_minutes"] = _("The target must be at least one minute.")
        if errors:
            raise ValidationError(errors)


class Category(models.TextChoices):
    """SIUI provider categories."""

    MF = "MF", _("Family medicine")
    PRM = "PRM", _("Out-of-hours centre")
    CLIN = "CLIN", _("Ambulatory clinical specialty")
    STOM = "STOM", _("Dental care")
    PARA = "PARA", _("Paraclinical (laboratory, imaging)")
    MD = "MD", _("Medical devices")
    HC = "HC", _("Home care")
    RECA = "RECA", _("Ambulatory rehabilitation")
    SPT = "SPT", _("Hospital")
    AMB = "AMB", _("Pre-hospital emergency and ambulance")
    RECS = "RECS", _("Sanatorium")
    DIA = "DIA", _("Dialysis")
    FSD = "FSD", _("Dialysis (special fund)")
    FARMD = "FARMD", _("Pharmacy")
    FARMI = "FARMI", _("Pharmacy (hospital)")


# The office that handles each category unless a house maps it otherwise.
DEFAULT_OFFICE_FOR_CATEGORY: dict[str, str] = {
    Category.MF: OfficeKind.PRIMARY,
    Category.PRM: OfficeKind.PRIMARY,
    Category.CLIN: OfficeKind.CLINICAL,
    Category.STOM: OfficeKind.CLINICAL,
    Category.PARA: OfficeKind.CLINICAL,
    Category.MD: OfficeKind.CLINICAL,
    Category.HC: OfficeKind.CLINICAL,
    Category.RECA: OfficeKind.CLINICAL,
    Category.FARMD: OfficeKind.CLINICAL,
    Category.FARMI: OfficeKind.CLINICAL,
    Category.SPT: OfficeKind.HOSPITAL,
    Category.AMB: OfficeKind.HOSPITAL,
    Category.RECS: OfficeKind.HOSPITAL,
    Category.DIA: OfficeKind.HOSPITAL,
    Category.FSD: OfficeKind.HOSPITAL,
}


class CategoryRoute(ChoiceLabels, models.Model):
    """Which office of a house handles the cards read by a provider category."""

    house = models.ForeignKey(House, models.CASCADE, related_name="category_routes")
    category = models.CharField(_("category"), max_length=8, choices=Category)
    office_kind = models.CharField(_("office"), max_length=10, choices=OfficeKind)

    class Meta:
        ordering = ["house__code", "category"]
        verbose_name = _("category route")
        verbose_name_plural = _("category routes")
        constraints = [
            models.UniqueConstraint(
                fields=["house", "category"], name="category_route_one_per_house"
            )
        ]

    def __str__(self) -> str:
        return f"{self.house.code} {self.category} → {self.office_kind}"


class Provider(ChoiceLabels, models.Model):
    """A medical provider under contract with a house."""

    name = models.CharField(_("name"), max_length=200)
    fiscal_code = models.CharField(
        _("fiscal code (CUI)"),
        max_length=10,
        unique=True,
        validators=[validators.validate_cui],
    )
    contract_number = models.CharField(_("contract number"), max_length=40)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    contract_type = models.CharField(_("contract type"), max_length=60, blank=True)
    house = models.ForeignKey(
        House,
        models.PROTECT,
        related_name="providers",
        verbose_name=_("contracting house"),
    )
    category = models.CharField(_("category"), max_length=8, choices=Category)
    parafa = models.CharField(
        _("stamp code (parafa)"),
        max_length=6,
        blank=True,
        validators=[validators.validate_parafa],
    )
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        indexes = [
            models.Index(fields=["contract_number"]),
            models.Index(fields=["phone"]),
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A place where a provider reads cards (a practice, a ward, a lab)."""

    provider = models.ForeignKey(Provider, models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["provider__name", "name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return f"{self.provider.name} · {self.name}"


class Role(models.TextChoices):
    PROVIDER_AGENT = "provider_agent", _("Provider agent")
    PHONE_OPERATOR = "phone_operator", _("Phone operator")
    SPECIALIST = "specialist", _("Specialist")
    SUPERVISOR = "supervisor", _("Supervisor")
    NATIONAL_ADMIN = "national_admin", _("National admin")


HOUSE_ROLES = (Role.PHONE_OPERATOR, Role.SPECIALIST, Role.SUPERVISOR)


class PersonManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.NATIONAL_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class Person(ChoiceLabels, AbstractUser):
    """A user with exactly one role, scoped to one provider or one house."""

    role = models.CharField(_("role"), max_length=20, choices=Role)
    house = models.ForeignKey(
        House, models.PROTECT, null=True, blank=True, related_name="staff"
    )
    offices = models.ManyToManyField(Office, blank=True, related_name="specialists")
    provider = models.ForeignKey(
        Provider, models.PROTECT, null=True, blank=True, related_name="agents"
    )
    location = models.ForeignKey(
        Location, models.SET_NULL, null=True, blank=True, related_name="agents"
    )
    phone = models.CharField(
        _("mobile phone"), max_length=20, blank=True, help_text=_("For SMS messages.")
    )
    notify_email = models.BooleanField(_("messages by email"), default=True)
    notify_sms = models.BooleanField(_("messages by SMS"), default=False)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("ro", "Română"), ("en", "English")],
        default="ro",
    )

    objects = PersonManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role=Role.PROVIDER_AGENT,
                        provider__isnull=False,
                        house__isnull=True,
                    )
                    | Q(
                        role__in=HOUSE_ROLES, house__isnull=False, provider__isnull=True
                    )
                    | Q(
                        role=Role.NATIONAL_ADMIN,
                        house__isnull=True,
                        provider__isnull=True,
                    )
                ),
                name="person_scope_matches_role",
                violation_error_message=_(
                    "A provider agent belongs to one provider, CAS staff to one house, "
                    "a national admin to neither."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
