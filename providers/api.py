"""Read-only API: houses with their offices (public) and the provider lookup."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cards.permissions import Action, has_role_for
from providers.models import Provider
from providers.selectors import (
    houses_with_offices,
    office_kinds_for,
    providers_search,
)
from providers.serializers import HouseSerializer, ProviderSerializer


class HouseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every active house with its offices' public names, phones and hours."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = HouseSerializer
    pagination_class = None

    def get_queryset(self):
        return houses_with_offices()


class ProviderLookupViewSet(viewsets.GenericViewSet):
    """Find a provider by name, fiscal code, contract number or phone number."""

    serializer_class = ProviderSerializer
    pagination_class = None
    queryset = Provider.objects.none()
    throttle_scope = "lookup"

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="At least 2 characters.")],
        responses=ProviderSerializer(many=True),
    )
    def list(self, request):
        if not has_role_for(request.user, Action.LOOKUP_PROVIDERS):
            raise PermissionDenied(_("Your role does not look up providers."))
        providers = list(providers_search(query=request.query_params.get("q", "")))
        serializer = ProviderSerializer(
            providers,
            many=True,
            context={"request": request, "office_kinds": office_kinds_for(providers)},
        )
        return Response(serializer.data)
