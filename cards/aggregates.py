"""A percentile aggregate that runs in the database: PostgreSQL's own
`percentile_cont`, and on SQLite (the embedded default) a function of the same
definition registered on each connection, as Django registers its own
statistics functions there."""

import math

from django.db.models import Aggregate, DurationField

SQLITE_FUNCTION = "HELPDESK_PERCENTILE_CONT"


class Percentile(Aggregate):
    """The continuous percentile (linear interpolation between the two nearest
    values) of a duration or number; NULLs are left out; None with no values."""

    name = "Percentile"
    function = "PERCENTILE_CONT"
    template = (
        "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    )

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction is between 0 and 1")
        extra.setdefault("output_field", DurationField())
        # A float formatted by Python, never user text: safe to write into SQL.
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function=SQLITE_FUNCTION,
            template="%(function)s(%(expressions)s, %(fraction)s)%(filter)s",
            **extra_context,
        )


class _SqlitePercentile:
    """SQLite's side of `Percentile`: collects the group's values, then
    interpolates exactly as PostgreSQL's percentile_cont does."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        position = self.fraction * (len(values) - 1)
        low, high = math.floor(position), math.ceil(position)
        return values[low] + (values[high] - values[low]) * (position - low)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: adds the percentile function to SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_FUNCTION, 2, _SqlitePercentile)


__all__ = ["Percentile", "register_sqlite_functions"]
