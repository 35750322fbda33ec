"""`get_FOO_display` from a label table built once per field and language.

Django's own rebuilds the field's whole choices table on every call, hashing and
translating each lazy label (tens of microseconds); a queue page shows a hundred
statuses and kinds."""

from functools import cache

from django.db.models import Field
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language, override


@cache
def _labels(field: Field, language: str | None) -> dict:
    with override(language):
        return {
            make_hashable(value): force_str(label) for value, label in field.flatchoices
        }


class ChoiceLabels:
    """Model mixin (before `models.Model` in the bases): the label in the active
    language; a value not among the choices is shown as it is, as Django does."""

    def _get_FIELD_display(self, field: Field) -> str:  # noqa: N802 (Django's name)
        value = getattr(self, field.attname)
        return _labels(field, get_language()).get(
            make_hashable(value), force_str(value, strings_only=True)
        )
