"""Reads over houses, offices and providers."""

import re

from django.db.models import Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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
    route = CategoryRoute.objects.filter(house=house, category=category).values(
        "office_kind"
    )[:1]
    default = Value(DEFAULT_OFFICE_FOR_CATEGORY[category])
    return Office.objects.get(house=house, kind=Coalesce(Subquery(route), default))


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


def houses_active() -> QuerySet[House]:
    """The houses that take requests, for pickers."""
    return House.objects.filter(is_active=True).order_by("code")


def house_with_offices(*, code: str) -> House | None:
    """The active house with this code and its offices, or None."""
    return houses_with_offices().filter(code=(code or "").strip().upper()).first()


def call_line_offices(*, house: House | None) -> QuerySet[Office]:
    """The office lines a call may be logged on: the house's own, or every active
    house's when no house is given (national staff)."""
    offices = Office.objects.filter(house__is_active=True).select_related("house")
    if house is not None:
        offices = offices.filter(house=house)
    return offices.order_by("house__code", "kind")


def providers_lookup(*, query: str, limit: int = 20) -> list[Provider]:
    """`providers_search` with each provider's locations loaded (their phones help
    recognise a caller)."""
    from django.db.models import prefetch_related_objects

    providers = list(providers_search(query=query, limit=limit))
    prefetch_related_objects(providers, "locations")
    return providers


def offices_for_providers(providers: list[Provider]) -> dict[int, Office]:
    """The office each provider's cards go to in its own house (two queries)."""
    kinds = office_kinds_for(providers)
    offices = {
        (office.house_id, office.kind): office
        for office in Office.objects.filter(
            house_id__in={p.house_id for p in providers}
        ).select_related("house")
    }
    return {
        p.pk: offices[(p.house_id, kinds[p.pk])]
        for p in providers
        if (p.house_id, kinds[p.pk]) in offices
    }


def fold_for_search(text: str) -> str:
    """Lower case without diacritics, so that "timis" finds "Timiș"."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def house_search_text(house: House) -> str:
    """What a search for a house matches: its code, names and office phone digits
    (offices must be prefetched), folded by `fold_for_search`."""
    phones = [
        re.sub(r"\D", "", phone)
        for office in house.offices.all()
        for phone in office.phones
    ]
    return fold_for_search(
        " ".join([house.code, house.short_name, house.name, *phones])
    )


def house_codes_matching(houses: list[House], *, query: str) -> set[str]:
    """The codes of the houses (offices prefetched) a search finds: the house whose
    code the query is, else those whose code, names or office phones contain every
    word of it, case and diacritics ignored. An empty query finds them all."""
    folded = fold_for_search(query).strip()
    codes = {house.code for house in houses}
    if folded.upper() in codes:
        return {folded.upper()}
    words = folded.split()
    return {
        house.code
        for house in houses
        if all(word in house_search_text(house) for word in words)
    }


def houses_matching(*, query: str) -> list[House]:
    """The active houses, with their offices, that a search for `query` finds."""
    houses = list(houses_with_offices().order_by("code"))
    codes = house_codes_matching(houses, query=query)
    return [house for house in houses if house.code in codes]


def provider_active(*, pk: str | int) -> Provider | None:
    """The provider under contract with this id, or None (for a bad or stale id)."""
    if not str(pk).isdigit():
        return None
    return (
        Provider.objects.filter(pk=pk, is_active=True).select_related("house").first()
    )
