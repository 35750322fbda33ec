from django.contrib import admin

from cards.models import Call, CardRequest, Event, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Requests change only through their transitions; the timeline is append-only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CardRequest)
class CardRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "kind",
        "masked_identifier",
        "status",
        "house",
        "office",
        "provider",
        "created_at",
    ]
    list_filter = ["status", "kind", "house", "source"]
    search_fields = ["reference", "provider__name"]
    exclude = ["identifier"]
    readonly_fields = ["masked_identifier"]
    inlines = [EventInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "card_request",
        "channel",
        "template",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "house",
        "office",
        "caller_phone",
        "provider",
        "reason",
        "outcome",
    ]
    list_filter = ["house", "reason", "outcome"]
