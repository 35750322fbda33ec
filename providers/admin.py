from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from providers.models import CategoryRoute, House, Location, Office, Person, Provider
from providers.validators import normalize_cui, normalize_phone


class PhoneFormMixin:
    """Phones are stored in E.164 so that the operator lookup matches any format."""

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        return normalize_phone(phone) if phone else ""


class ProviderForm(PhoneFormMixin, forms.ModelForm):
    # Accepts the printed form ("RO 18547290"); stored as digits only.
    fiscal_code = forms.CharField(label=_("fiscal code (CUI)"), max_length=16)

    class Meta:
        model = Provider
        fields = [
            "name",
            "fiscal_code",
            "contract_number",
            "contract_date",
            "contract_type",
            "house",
            "category",
            "parafa",
            "email",
            "phone",
            "is_active",
        ]

    def clean_fiscal_code(self):
        return normalize_cui(self.cleaned_data["fiscal_code"])


class LocationForm(PhoneFormMixin, forms.ModelForm):
    class Meta:
        model = Location
        fields = ["provider", "name", "address", "phone"]


class OfficeInline(admin.StackedInline):
    model = Office
    extra = 0
    fields = [
        "kind",
        "name",
        "phones",
        "email",
        "hours",
        ("opens_at", "closes_at", "friday_closes_at"),
        "sla_minutes",
    ]


class CategoryRouteInline(admin.TabularInline):
    model = CategoryRoute
    extra = 0


@admin.register(House)
class HouseAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "short_name"]
    inlines = [OfficeInline, CategoryRouteInline]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = [
        "house",
        "kind",
        "name",
        "opens_at",
        "closes_at",
        "friday_closes_at",
        "sla_minutes",
    ]
    list_filter = ["kind", "house"]
    search_fields = ["house__code", "name"]
    fields = [
        "house",
        "kind",
        "name",
        "phones",
        "email",
        "hours",
        ("opens_at", "closes_at", "friday_closes_at"),
        "sla_minutes",
    ]


class LocationInline(admin.TabularInline):
    model = Location
    form = LocationForm
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = [
        "name",
        "fiscal_code",
        "contract_number",
        "house",
        "category",
        "is_active",
    ]
    list_filter = ["house", "category", "is_active"]
    search_fields = ["name", "fiscal_code", "contract_number", "phone"]
    inlines = [LocationInline]


class PersonChangeForm(PhoneFormMixin, UserChangeForm):
    """The mobile number is stored in E.164; SMS needs one."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("notify_sms") and not cleaned.get("phone"):
            self.add_error(
                "phone", _("Enter the mobile number the SMS messages go to.")
            )
        return cleaned


@admin.register(Person)
class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "house",
        "provider",
        "is_active",
    ]
    list_filter = ["role", "house", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    filter_horizontal = ["offices"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Helpdesk role"),
            {
                "fields": [
                    "role",
                    "house",
                    "offices",
                    "provider",
                    "location",
                    "phone",
                    "notify_email",
                    "notify_sms",
                    "language",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("Helpdesk role"), {"fields": ["role", "house", "provider"]}),
    ]
