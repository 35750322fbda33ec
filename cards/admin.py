from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cards.masking import mask_text
from cards.models import (
    Article,
    Call,
    CardRequest,
    Event,
    IdentifierAccess,
    Notification,
)
from cards.permissions import Action, has_role_for


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
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "masked_text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("text"))
    def masked_text(self, event):
        return mask_text(event.text)


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
    exclude = ["identifier", "note"]
    readonly_fields = ["masked_identifier", "masked_note"]
    inlines = [EventInline]

    @admin.display(description=_("note"))
    def masked_note(self, card_request):
        return mask_text(card_request.note)


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
    exclude = ["last_error"]
    readonly_fields = ["masked_last_error"]

    @admin.display(description=_("last error"))
    def masked_last_error(self, notification):
        return mask_text(notification.last_error)


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
    exclude = ["note"]
    readonly_fields = ["masked_note"]

    @admin.display(description=_("note"))
    def masked_note(self, call):
        return mask_text(call.note)


@admin.register(IdentifierAccess)
class IdentifierAccessAdmin(ReadOnlyAdmin):
    """Who was shown a full identifier: read-only for everybody, superusers too."""

    list_display = [
        "created_at",
        "person",
        "card_request",
        "masked_identifier",
        "channel",
        "path",
        "client_address",
    ]
    list_filter = ["channel", "card_request__house"]
    search_fields = ["card_request__reference", "person__username"]
    list_select_related = ["person", "card_request"]
    date_hierarchy = "created_at"
    actions = None

    @admin.display(description=_("identifier"))
    def masked_identifier(self, access):
        return access.card_request.masked_identifier


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """The help articles: national admins write them, in both languages; nobody
    else sees them here, superusers of another role included."""

    list_display = [
        "title_ro",
        "title_en",
        "slug",
        "position",
        "updated_at",
        "updated_by",
    ]
    list_editable = ["position"]
    list_select_related = ["updated_by"]
    search_fields = ["slug", "title_ro", "title_en", "body_ro", "body_en"]
    fieldsets = [
        (None, {"fields": ["slug", "position"]}),
        (_("Romanian"), {"fields": ["title_ro", "body_ro"]}),
        (_("English"), {"fields": ["title_en", "body_en"]}),
        (None, {"fields": ["updated_at", "updated_by"]}),
    ]
    readonly_fields = ["updated_at", "updated_by"]

    @staticmethod
    def _is_national_admin(request) -> bool:
        return has_role_for(request.user, Action.MANAGE_ARTICLES)

    def has_module_permission(self, request):
        return self._is_national_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_national_admin(request)

    def has_add_permission(self, request):
        return self._is_national_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_national_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_national_admin(request)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
