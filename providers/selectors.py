"""Reads over houses, offices and providers."""

import re

from django.db.models import Q, QuerySet

from providers.models import (
    DEFAULT_OFFICE_FOR_CATEGORY,
    CategoryRoute,
    House,
    Office,
    Provider,
)

MIN_PHONE_DIGITS = 6


def office_for(*, house: House, category: str) -> Office:
    """The office of `house` that handles cards read by providers of `category`:
    the house's own mapping, else the national default."""
    route = CategoryRoute.objects.filter(house=house, category=category).first()
    kind = route.office_kind if route else DEFAULT_OFFICE_FOR_CATEGORY[category]
    return Office.objects.get(house=house, kind=kind)


def office_kinds_for(providers: list[Provider]) -> dict[int, str]:
    """The office kind each provider's cards go to in its own house (one query)."""
    routes = dict(
        ((route.house_id, route.category), route.office_kind)
        for route in CategoryRoute.objects.filter(
            house_id__in={p.house_id for p in providers},
            category__in={p.category for p in providers},
        )
    )
    return {
        p.pk: routes.get(
            (p.house_id, p.category), DEFAULT_OFFICE_FOR_CATEGORY[p.category]
        )
        for p in providers
    }


def houses_with_offices() -> QuerySet[House]:
    return House.objects.filter(is_active=True).prefetch_related("offices")


def providers_search(*, query: str, limit: int = 20) -> QuerySet[Provider]:
    """Providers whose name, fiscal code, contract number or phone matches `query`:
    what an operator types while a caller speaks."""
    text = (query or "").strip()
    if len(text) < 2:
        return Provider.objects.none()
    digits = re.sub(r"\D", "", text)
    condition = Q(name__icontains=text) | Q(contract_number__iexact=text)
    fiscal = re.sub(r"[\s.]", "", text).upper().removeprefix("RO")
    if fiscal.isdigit():
        condition |= Q(fiscal_code__startswith=fiscal)
    if len(digits) >= MIN_PHONE_DIGITS:
        # Stored numbers are E.164; match on the national significant number.
        national = digits.removeprefix("40").lstrip("0")
        condition |= Q(phone__endswith=national) | Q(
            locations__phone__endswith=national
        )
    return (
        Provider.objects.filter(condition, is_active=True)
        .select_related("house")
        .distinct()
        .order_by("name")[:limit]
    )
