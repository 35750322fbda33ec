"""The public contacts page: every house's offices and phone numbers, no sign-in.

Also the small phone-number helpers the console pages share with it."""

import phonenumbers
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from providers.models import House, Office, OfficeKind
from providers.selectors import (
    house_codes_matching,
    house_search_text,
    houses_with_offices,
)

NATIONAL_LINE = {"text": "0800 800 950", "href": "tel:+40800800950"}
_KIND_ORDER = {kind: index for index, kind in enumerate(OfficeKind.values)}


def tel_href(number: str) -> str:
    """A tel: URI in E.164 for a number written the usual ways (0736 203 666)."""
    try:
        parsed = phonenumbers.parse(number, "RO")
    except phonenumbers.NumberParseException:
        return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")
    return "tel:" + phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164
    )


def phone_links(numbers, *, as_stored: bool = True) -> list[dict[str, str]]:
    """Each number as {"text", "href"}: the text as stored, or (for numbers stored
    in E.164) in the national format people read out."""
    links = []
    for number in filter(None, numbers):
        text = number
        if not as_stored:
            try:
                parsed = phonenumbers.parse(number, "RO")
                text = phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.NATIONAL
                )
            except phonenumbers.NumberParseException:
                pass
        links.append({"text": text, "href": tel_href(number)})
    return links


def office_contacts(offices) -> list[Office]:
    """Offices in the order primary, clinical, hospital, each with `phone_links`
    and `own_name`: its public name unless that only repeats its kind."""
    offices = sorted(offices, key=lambda office: _KIND_ORDER.get(office.kind, 9))
    for office in offices:
        office.phone_links = phone_links(office.phones)
        kind = str(office.get_kind_display()).casefold()
        office.own_name = "" if office.name.casefold() == kind else office.name
    return offices


def house_contacts(house: House) -> House:
    """The house (offices prefetched) with `contact_offices`, `has_phones` and the
    `search_text` the page's filter matches."""
    house.contact_offices = office_contacts(house.offices.all())
    house.has_phones = any(office.phones for office in house.contact_offices)
    house.search_text = house_search_text(house)
    return house


@login_not_required
@require_safe
def contacts(request):
    """Every house is on the page; a search (`?q=`, filtered again as one types
    when scripts run) hides the others."""
    query = request.GET.get("q", "").strip()[:100]
    houses = [house_contacts(house) for house in houses_with_offices().order_by("code")]
    found = house_codes_matching(houses, query=query)
    for house in houses:
        house.found = house.code in found
    context = {
        "houses": houses,
        "found_count": len(found),
        "query": query,
        "national_line": NATIONAL_LINE,
    }
    return render(request, "cards/public/contacts.html", context)
