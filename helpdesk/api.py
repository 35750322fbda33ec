"""API-wide pieces: the one exception handler, the pagination, and the fields every
serializer keeps per class (`KeptFields`)."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from cards.exceptions import (
    AlreadyClaimed,
    DomainError,
    DuplicateElsewhere,
    PermissionDenied,
    TransitionNotAllowed,
)


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


# Fields that hold fields of their own, bound to them.
NESTING = (
    serializers.BaseSerializer,
    serializers.ManyRelatedField,
    serializers.ListField,
    serializers.DictField,
)


class KeptFields:
    # No docstring: the API schema describes a serializer by the first docstring
    # of its classes, and this one is no part of any answer's meaning.
    #
    # A serializer's fields built once per class: DRF deep-copies the declared
    # fields of every serializer it makes (every request), and a model serializer
    # also introspects its model each time. Here the fields built for a class are
    # kept, and each serializer gets copies of them. A plain field is copied as it
    # is (binding it to its serializer sets attributes of the copy alone): its
    # attributes copied into a new instance, what `copy.copy` does through the
    # pickle protocol at four times the cost. One holding fields of its own (a
    # nested serializer, a list or many-related field, whose child is bound to it)
    # is built anew, DRF's deep copy.

    _built_fields: dict[type, dict] = {}

    def get_fields(self):
        cls = type(self)
        if cls not in self._built_fields:
            self._built_fields[cls] = super().get_fields()
        return {
            name: copy.deepcopy(field) if isinstance(field, NESTING) else _copy(field)
            for name, field in self._built_fields[cls].items()
        }


def _copy(field: serializers.Field) -> serializers.Field:
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied


class ModelSerializer(KeptFields, serializers.ModelSerializer):
    pass


class ChoiceLabelField(serializers.CharField):
    """The label of a model's choice field, in the active language: `source` names
    the field. DRF reads a `source="get_FOO_display"` by inspecting the method's
    signature on every row (tens of microseconds); this calls it."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return getattr(instance, f"get_{self.source}_display")()


def exception_handler(exc, context):
    """Domain errors become 409 (state conflict, lost claim, card already filed
    elsewhere) or 403 (role); Django validation errors become 400 with field
    messages. Everything else follows DRF."""
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ParseError):
        return Response(
            {"detail": _("The request body is not valid JSON.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": _error_code(exc)}
        if isinstance(exc, AlreadyClaimed):
            body["claimed_by"] = exc.by
        http_status = (
            status.HTTP_403_FORBIDDEN
            if isinstance(exc, PermissionDenied)
            else status.HTTP_409_CONFLICT
        )
        return Response(body, status=http_status)
    return drf_exception_handler(exc, context)


def _error_code(exc: DomainError) -> str:
    for cls, code in (
        (AlreadyClaimed, "already_claimed"),
        (TransitionNotAllowed, "transition_not_allowed"),
        (PermissionDenied, "permission_denied"),
        (DuplicateElsewhere, "open_elsewhere"),
    ):
        if isinstance(exc, cls):
            return code
    return "conflict"
