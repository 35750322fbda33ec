"""Each index of the requests' tables earns its writes: every filing, change and
shown identifier writes all of them."""

import pytest
from django.db import connection

from cards.models import CardRequest, Event, IdentifierAccess


@pytest.mark.parametrize("model", [CardRequest, Event, IdentifierAccess])
def test_no_index_repeats_the_leading_columns_of_another(db, model):
    partial = {index.name for index in model._meta.indexes if index.condition}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, model._meta.db_table
        )
    indexes = {
        name: tuple(c["columns"])
        for name, c in constraints.items()
        if c["index"] and not c["unique"] and name not in partial
    }
    assert indexes, "no index read"
    repeated = [
        (name, other)
        for name, columns in indexes.items()
        for other, longer in indexes.items()
        if len(longer) > len(columns) and longer[: len(columns)] == columns
    ]
    assert repeated == []
