"""API input and output shapes. Inputs accept only their listed fields; outputs
mask the card identifier for whoever is not working the request."""

import re
from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.guidance import instructions_for
from cards.masking import mask_text
from cards.models import (
    Call,
    CallOutcome,
    CallReason,
    CardRequest,
    Event,
    Kind,
    Notification,
    Outcome,
    Status,
)
from cards.permissions import Action, can, has_role_for
from helpdesk.api import ChoiceLabelField, KeptFields, ModelSerializer

_PIN_FIELD = re.compile(r"(^|_)pin(_|$)", re.IGNORECASE)


class StrictSerializer(KeptFields, serializers.Serializer):
    """Refuses fields it does not list (nothing is silently dropped or set), and any
    field that carries a PIN, without echoing its value."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for key in data:
                if _PIN_FIELD.search(str(key)):
                    errors[key] = [
                        _(
                            "Never send a PIN: the CAS does not need it and the "
                            "helpdesk does not accept or store it."
                        )
                    ]
                elif key not in self.fields or self.fields[key].read_only:
                    errors[key] = [_("Unknown field: it cannot be set here.")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class CardRequestFileSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    error_code = serializers.IntegerField(
        required=False, min_value=0, max_value=999, help_text="15, 5 or 17"
    )
    insurer_house = serializers.CharField(
        required=False,
        max_length=10,
        help_text="Code of the house the card was issued for (e.g. TM, CJ, B). "
        "Defaults to the provider's contracting house.",
    )
    cid = serializers.CharField(
        required=False, allow_blank=True, max_length=60, trim_whitespace=True
    )
    card_number = serializers.CharField(
        required=False, allow_blank=True, max_length=60, trim_whitespace=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    provider = serializers.CharField(
        required=False,
        max_length=14,
        help_text="Fiscal code of the provider (phone operators and admins only).",
    )


class ResolveSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class TransferSerializer(StrictSerializer):
    house = serializers.CharField(max_length=10)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AskInfoSerializer(StrictSerializer):
    question = serializers.CharField(max_length=2000)


class InfoSerializer(StrictSerializer):
    answer = serializers.CharField(max_length=2000)


class ConfirmSerializer(StrictSerializer):
    works = serializers.BooleanField()
    reader_error = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=999,
        help_text="What the reader shows now, when the card still fails.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EmptySerializer(StrictSerializer):
    pass


class MaskedTextField(serializers.CharField):
    """Free text on output, with anything shaped like a CID, CNP or card number
    cut to its last 4: people type them into notes and answers, and a text is read
    by more people than the identifier may be shown to."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mask_text(super().to_representation(value))


class EventSerializer(ModelSerializer):
    actor = serializers.StringRelatedField()
    text = MaskedTextField()
    from_house = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    to_house = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    label = ChoiceLabelField(source="kind")

    class Meta:
        model = Event
        fields = [
            "kind",
            "label",
            "actor",
            "from_status",
            "to_status",
            "from_house",
            "to_house",
            "text",
            "created_at",
        ]


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["channel", "template", "status", "attempts", "created_at", "sent_at"]


class ProviderBriefSerializer(serializers.Serializer):
    name = serializers.CharField()
    fiscal_code = serializers.CharField()


class CardRequestSerializer(ModelSerializer):
    house = serializers.SlugRelatedField(slug_field="code", read_only=True)
    house_name = serializers.CharField(source="house.short_name")
    office = serializers.CharField(source="office.kind")
    provider = ProviderBriefSerializer()
    location = serializers.CharField(
        source="location.name", default=None, allow_null=True
    )
    filed_by = serializers.StringRelatedField()
    assignee = serializers.StringRelatedField()
    cid = serializers.SerializerMethodField()
    card_number = serializers.SerializerMethodField()
    status_label = ChoiceLabelField(source="status")
    note = MaskedTextField()

    class Meta:
        model = CardRequest
        fields = [
            "reference",
            "kind",
            "error_code",
            "status",
            "status_label",
            "priority",
            "house",
            "house_name",
            "office",
            "provider",
            "location",
            "source",
            "filed_by",
            "assignee",
            "cid",
            "card_number",
            "note",
            "outcome",
            "due_at",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
        ]

    # Internal to the house: who works a request is not the provider's business.
    CAS_ONLY_FIELDS = ("assignee",)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not has_role_for(request.user, Action.USE_CAS_DESK):
            for name in self.CAS_ONLY_FIELDS:
                fields.pop(name, None)
        return fields

    def _identifier(self, card_request: CardRequest) -> str:
        # Lists always mask; a detail response (context "unmask") shows the full
        # identifier to who may see it, and its view writes the access record.
        actor = self.context["request"].user
        if self.context.get("unmask") and can(
            actor, Action.VIEW_IDENTIFIER, card_request
        ):
            return card_request.identifier
        return card_request.masked_identifier

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_cid(self, card_request: CardRequest) -> str | None:
        if card_request.kind != Kind.BLOCKED:
            return None
        return self._identifier(card_request)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_card_number(self, card_request: CardRequest) -> str | None:
        if card_request.kind != Kind.INVALID:
            return None
        return self._identifier(card_request)


class InstructionsSerializer(serializers.Serializer):
    title = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())


class CardRequestDetailSerializer(CardRequestSerializer):
    events = EventSerializer(many=True, read_only=True)
    notifications = NotificationSerializer(many=True, read_only=True)
    instructions = serializers.SerializerMethodField()

    class Meta(CardRequestSerializer.Meta):
        fields = [
            *CardRequestSerializer.Meta.fields,
            "events",
            "notifications",
            "instructions",
        ]

    @extend_schema_field(InstructionsSerializer(allow_null=True))
    def get_instructions(self, card_request: CardRequest) -> dict | None:
        if card_request.status not in (Status.RESOLVED, Status.CLOSED):
            return None
        if not card_request.outcome:
            return None
        return instructions_for(card_request.kind)


class CallInputSerializer(StrictSerializer):
    caller_phone = serializers.CharField(max_length=40)
    provider = serializers.CharField(
        required=False, max_length=14, help_text="Fiscal code of the calling provider."
    )
    office = serializers.ChoiceField(
        choices=["primary", "clinical", "hospital"],
        required=False,
        help_text="The office line that took the call (default: none recorded).",
    )
    reason = serializers.ChoiceField(choices=CallReason.choices, required=False)
    outcome = serializers.ChoiceField(choices=CallOutcome.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)
    card_requests = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        max_length=20,
        help_text="References of requests this call is about.",
    )


class CallSerializer(ModelSerializer):
    operator = serializers.StringRelatedField()
    house = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office = serializers.CharField(source="office.kind", default=None, allow_null=True)
    provider = ProviderBriefSerializer(allow_null=True)
    card_requests = serializers.SlugRelatedField(
        slug_field="reference", many=True, read_only=True
    )
    duration_seconds = serializers.IntegerField(allow_null=True)
    note = MaskedTextField()

    class Meta:
        model = Call
        fields = [
            "id",
            "operator",
            "house",
            "office",
            "caller_phone",
            "provider",
            "reason",
            "outcome",
            "note",
            "started_at",
            "ended_at",
            "duration_seconds",
            "card_requests",
            "created_at",
        ]
