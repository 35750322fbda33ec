"""POST /api/v1/auth/token/: a provider agent's username and password for their
API token (see providers.authentication for who may hold one)."""

from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from providers.authentication import STAFF_TOKENS_REFUSED
from providers.security import needs_two_factor


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(label=gettext_lazy("Username"))
    password = serializers.CharField(
        label=gettext_lazy("Password"),
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
    )


class ObtainTokenView(APIView):
    """Exchange a provider agent's username and password for their API token.
    An unknown username and a wrong password get the same answer; too many
    failures lock the username and address (429)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "token"
    serializer_class = TokenCredentialsSerializer

    @extend_schema(
        request=TokenCredentialsSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields or wrong credentials."),
            403: OpenApiResponse(description="A CAS staff account: no API tokens."),
            429: OpenApiResponse(description="Too many attempts: see Retry-After."),
        },
    )
    def post(self, request):
        serializer = TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request: django-axes records the attempt on it, and its
        # middleware answers 429 once the username or address is locked.
        person = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if person is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to sign in with these credentials.")]}
            )
        if needs_two_factor(person):
            raise PermissionDenied(STAFF_TOKENS_REFUSED)
        token, _created = Token.objects.get_or_create(user=person)
        # A success clears the failures counted for this username and address.
        user_logged_in.send(sender=type(person), request=request._request, user=person)
        return Response({"token": token.key})
