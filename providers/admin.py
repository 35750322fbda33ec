from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from providers.models import CategoryRoute, House, Location, Office, Person, Provider


class OfficeInline(admin.StackedInline):
    model = Office
    extra = 0
    fields = ["kind", "name", "phones", "email", "hours", "sla_minutes"]


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
    list_display = ["house", "kind", "name", "sla_minutes"]
    list_filter = ["kind", "house"]
    search_fields = ["house__code", "name"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
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


@admin.register(Person)
class PersonAdmin(UserAdmin):
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
                    "language",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("Helpdesk role"), {"fields": ["role", "house", "provider"]}),
    ]
