"""The REST API for card requests and calls: input serializer, service, output."""

import hashlib
import json

import django_filters
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.response import Response

from cards import serializers, services
from cards.exceptions import DuplicateElsewhere
from cards.models import (
    AccessChannel,
    Call,
    CardRequest,
    Event,
    IdempotencyKey,
    Kind,
    Source,
    Status,
)
from cards.permissions import Action, has_role_for
from cards.selectors import (
    calls_visible_to,
    card_request_get_for,
    card_request_is_visible_to,
    card_request_notifications_for,
    card_requests_listed_for,
    card_requests_visible_to,
)
from cards.services.audit import (
    identifier_is_shown,
    identifier_shown,
    identifier_shown_again,
)
from cards.services.versions import kept_for_provider, kept_for_routing
from providers.models import House, OfficeKind, Provider
from providers.validators import normalize_cui


class CardRequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    office = django_filters.ChoiceFilter(
        field_name="office__kind", choices=OfficeKind.choices
    )
    house = django_filters.CharFilter(field_name="house__code", lookup_expr="iexact")

    class Meta:
        model = CardRequest
        fields = ["status", "kind", "office", "house"]


def _house(code: str, field: str) -> House:
    code = (code or "").strip().upper()
    house = (
        kept_for_routing(
            f"house:{code}", lambda: House.objects.filter(code__iexact=code).first()
        )
        if code.isascii() and code.isalnum()  # no house's code is anything else
        else None
    )
    if house is None:
        raise ValidationError(
            {field: _("No house has the code %(code)s.") % {"code": code}}
        )
    return house


def _provider(fiscal_code: str) -> Provider:
    try:
        cui = normalize_cui(fiscal_code)
    except ValidationError as error:
        raise ValidationError({"provider": error.messages}) from None
    provider = Provider.objects.filter(fiscal_code=cui, is_active=True).first()
    if provider is None:
        raise ValidationError(
            {"provider": _("No provider under contract has this fiscal code.")}
        )
    return provider


class CardRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Card requests in the caller's scope. Outside it, a reference answers 404."""

    lookup_field = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"
    filterset_class = CardRequestFilter
    serializer_class = serializers.CardRequestSerializer
    # Filing is rate-limited (settings.RATE_LIMITS); reads and transitions are not.
    throttle_scope = {"create": "filing"}

    def get_queryset(self):
        return card_requests_listed_for(self.request.user).select_related(
            "house", "office", "provider", "location", "assignee", "filed_by"
        )

    def get_object(self):
        card_request = card_request_get_for(self.request.user, self.kwargs["reference"])
        self.check_object_permissions(self.request, card_request)
        return card_request

    def _detail(
        self,
        card_request: CardRequest,
        http_status=status.HTTP_200_OK,
        *,
        fetched: bool = False,
        filed: bool = False,
    ):
        """The request with its timeline and messages, and its access record."""
        data = self._detail_data(card_request, fetched=fetched, filed=filed)
        identifier_shown(
            actor=self.request.user,
            card_request=card_request,
            channel=AccessChannel.API,
            http_request=self.request,
        )
        return Response(data, status=http_status)

    def _detail_data(
        self, card_request: CardRequest, *, fetched: bool = False, filed: bool = False
    ) -> dict:
        """A request just changed is read again with its related rows; one
        `card_request_get_for` just fetched has them already (`fetched`) and only
        gets its timeline and messages; one just filed comes with all of them
        (`filed`: `card_request_file` loads them)."""
        if not (fetched or filed):
            card_request = CardRequest.objects.select_related(
                "house", "office", "provider", "location", "assignee", "filed_by"
            ).get(pk=card_request.pk)
        if not filed:
            prefetch_related_objects(
                [card_request],
                Prefetch(
                    "events",
                    Event.objects.select_related("actor", "from_house", "to_house"),
                ),
                Prefetch(
                    "notifications",
                    card_request_notifications_for(self.request.user),
                ),
            )
        context = {**self.get_serializer_context(), "unmask": True}
        return serializers.CardRequestDetailSerializer(
            card_request, context=context
        ).data

    @extend_schema(responses=serializers.CardRequestDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        actor = request.user
        if actor.provider_id is None:
            return self._detail(self.get_object(), fetched=True)
        # An agent's integration polls its requests until they are resolved: its
        # answer is kept by this process while the provider's requests keep their
        # version (any change of theirs, or of their messages, replaces it), and
        # every answer that shows the identifier still gets its access record.
        reference = self.kwargs["reference"].strip().upper()

        def read() -> dict:
            card_request = self.get_object()
            return {
                "data": self._detail_data(card_request, fetched=True),
                "pk": card_request.pk,
                "shown": identifier_is_shown(actor, card_request),
            }

        answer = kept_for_provider(
            actor.provider_id,
            f"api-detail:{reference}:{actor.pk}:{actor.role}:{get_language()}",
            read,
        )
        if answer["shown"]:
            identifier_shown_again(
                actor=actor,
                card_request_id=answer["pk"],
                channel=AccessChannel.API,
                http_request=request,
            )
        return Response(answer["data"])

    @extend_schema(
        request=serializers.CardRequestFileSerializer,
        responses={
            201: serializers.CardRequestDetailSerializer,
            200: serializers.CardRequestDetailSerializer,
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key replays the first response.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        if not has_role_for(request.user, Action.FILE):
            raise DRFPermissionDenied(_("Your role does not file requests."))
        key = request.headers.get("Idempotency-Key", "").strip()[:255]
        if key:
            fingerprint = hashlib.sha256(
                json.dumps(request.data, sort_keys=True, default=str).encode()
            ).hexdigest()
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return replay
        data = self._validated(serializers.CardRequestFileSerializer)
        card_request, created = services.card_request_file(
            actor=request.user,
            source=Source.API,
            kind=data.get("kind"),
            error_code=data.get("error_code"),
            house=_house(data["insurer_house"], "insurer_house")
            if data.get("insurer_house")
            else None,
            cid=data.get("cid", ""),
            card_number=data.get("card_number", ""),
            note=data.get("note", ""),
            provider=self._filing_provider(data),
        )
        if not created and not card_request_is_visible_to(
            actor=request.user, card_request=card_request
        ):
            # The open request sits outside the caller's scope: say it exists, as
            # for another provider's, and show nothing of it.
            raise DuplicateElsewhere(
                _(
                    "This card already has an open request at %(house)s. The CAS "
                    "is handling it; there is no need to file again."
                )
                % {"house": card_request.house.short_name}
            )
        http_status = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        if key:
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(
                        person=request.user,
                        key=key,
                        fingerprint=fingerprint,
                        card_request=card_request,
                        status_code=http_status,
                    )
            except IntegrityError:
                return self._replay(key, fingerprint)
        return self._detail(card_request, http_status, filed=created)

    def _filing_provider(self, data: dict) -> Provider | None:
        if "provider" not in data:
            return None
        if self.request.user.provider_id is not None:
            raise ValidationError(
                {"provider": _("Your requests are filed for your own provider.")}
            )
        return _provider(data["provider"])

    def _replay(self, key: str, fingerprint: str):
        stored = (
            IdempotencyKey.objects.filter(person=self.request.user, key=key)
            .select_related("card_request")
            .first()
        )
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            return Response(
                {
                    "detail": _(
                        "This Idempotency-Key was used for a different request body."
                    ),
                    "code": "idempotency_key_reused",
                },
                status=status.HTTP_409_CONFLICT,
            )
        return self._detail(stored.card_request, stored.status_code)

    def _validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _object_for(self, action: Action) -> CardRequest:
        """The request (404 outside the caller's scope), then 403 when the caller's
        role never takes this action, before any input is read."""
        card_request = self.get_object()
        if not has_role_for(self.request.user, action):
            raise DRFPermissionDenied(_("Your role does not allow this action here."))
        return card_request

    def _transition(
        self, service, action, serializer_class=serializers.EmptySerializer, **extra
    ):
        card_request = self._object_for(action)
        data = self._validated(serializer_class)
        return self._changed_and_shown(
            lambda: service(
                actor=self.request.user, card_request=card_request, **data, **extra
            )
        )

    def _changed_and_shown(self, change):
        """The change, then its answer (which may record an identifier access), in
        one transaction: the messages the change queues are published once both
        are written, so a worker delivering them never holds up the answer."""
        with transaction.atomic():
            return self._detail(change())

    @extend_schema(request=None, responses=serializers.CardRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, reference=None, format=None):
        return self._transition(services.card_request_claim, Action.CLAIM)

    @extend_schema(request=None, responses=serializers.CardRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, reference=None, format=None):
        return self._transition(services.card_request_unclaim, Action.UNCLAIM)

    @extend_schema(
        request=serializers.ResolveSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, reference=None, format=None):
        return self._transition(
            services.card_request_resolve, Action.RESOLVE, serializers.ResolveSerializer
        )

    @extend_schema(
        request=serializers.RejectSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, reference=None, format=None):
        return self._transition(
            services.card_request_reject, Action.REJECT, serializers.RejectSerializer
        )

    @extend_schema(
        request=serializers.TransferSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, reference=None, format=None):
        card_request = self._object_for(Action.TRANSFER)
        data = self._validated(serializers.TransferSerializer)
        house = _house(data["house"], "house")
        return self._changed_and_shown(
            lambda: services.card_request_transfer(
                actor=request.user,
                card_request=card_request,
                house=house,
                note=data.get("note", ""),
            )
        )

    @extend_schema(
        request=serializers.AskInfoSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="ask-info")
    def ask_info(self, request, reference=None, format=None):
        return self._transition(
            services.card_request_ask_info,
            Action.ASK_INFO,
            serializers.AskInfoSerializer,
        )

    @extend_schema(
        request=serializers.InfoSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def info(self, request, reference=None, format=None):
        return self._transition(
            services.card_request_give_info,
            Action.GIVE_INFO,
            serializers.InfoSerializer,
        )

    @extend_schema(
        request=serializers.ConfirmSerializer,
        responses=serializers.CardRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, reference=None, format=None):
        return self._transition(
            services.card_request_confirm, Action.CONFIRM, serializers.ConfirmSerializer
        )


class CallViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Calls logged on the caller's house lines."""

    serializer_class = serializers.CallSerializer

    queryset = Call.objects.none()

    def get_queryset(self):
        return self._with_links(calls_visible_to(self.request.user))

    def _with_links(self, calls):
        """Calls with only the linked requests the caller may open: a list never
        names a request its reader cannot open."""
        return calls.select_related(
            "operator", "house", "office", "provider"
        ).prefetch_related(
            Prefetch("card_requests", card_requests_visible_to(self.request.user))
        )

    def list(self, request, *args, **kwargs):
        if not has_role_for(request.user, Action.LIST_CALLS):
            raise DRFPermissionDenied(_("Your role does not see calls."))
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.CallInputSerializer,
        responses={201: serializers.CallSerializer},
    )
    def create(self, request):
        if not has_role_for(request.user, Action.LOG_CALL):
            raise DRFPermissionDenied(_("Your role does not log calls."))
        serializer = serializers.CallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        provider = _provider(data.pop("provider")) if data.get("provider") else None
        references = data.pop("card_requests", [])
        office_kind = data.pop("office", None)
        house = request.user.house
        office = house.offices.get(kind=office_kind) if office_kind and house else None
        card_requests = []
        for reference in references:
            try:
                card_requests.append(card_request_get_for(request.user, reference))
            except Http404:
                raise ValidationError(
                    {
                        "card_requests": _("No request %(ref)s in your scope.")
                        % {"ref": reference}
                    }
                ) from None
        call = services.call_log(
            actor=request.user,
            provider=provider,
            office=office,
            card_requests=card_requests,
            **data,
        )
        call = self._with_links(Call.objects.all()).get(pk=call.pk)
        return Response(
            serializers.CallSerializer(call, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
