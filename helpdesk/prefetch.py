"""Rows already in hand, put where Django's prefetching puts them."""

from django.db import models


def prefetched_install(instance: models.Model, name: str, objects: list) -> None:
    """Make `instance.<name>.all()` answer `objects` with no query, as it does after
    `prefetch_related(name)`. The two attributes set on the queryset are those
    Django's prefetching sets."""
    loaded = getattr(instance, name).all()
    loaded._result_cache, loaded._prefetch_done = list(objects), True
    instance._prefetched_objects_cache = {
        **getattr(instance, "_prefetched_objects_cache", {}),
        name: loaded,
    }
