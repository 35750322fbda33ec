"""Access records: every time a request's full CID or card number is shown to
someone, one `IdentifierAccess` row says who saw it, when, where and from which
address. This module is the only writer; web views and the API call it right
where they unmask. The row never holds the identifier itself."""

from cards.models import AccessChannel, CardRequest, IdentifierAccess
from cards.permissions import Action, can
from helpdesk.network import client_address
from providers.models import Person

_FORWARDED_MAX = 200
_PATH_MAX = 200


def identifier_access_record(
    *,
    actor: Person,
    card_request: CardRequest,
    channel: str,
    http_request=None,
) -> IdentifierAccess | None:
    """Append one access record for showing `card_request`'s full identifier to
    `actor` (nothing when the identifier is already erased: nothing was shown).
    The client address is helpdesk.network's (X-Forwarded-For believed only from
    a trusted proxy); the header as received is kept beside it, unverified."""
    if not card_request.identifier:
        return None
    return _append(actor, card_request.pk, channel, http_request)


def _append(
    actor: Person, card_request_id: int, channel: str, http_request
) -> IdentifierAccess:
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    meta = getattr(http_request, "META", {}) if http_request is not None else {}
    path = getattr(http_request, "path", "") if http_request is not None else ""
    return IdentifierAccess.objects.create(
        card_request_id=card_request_id,
        person=actor,
        channel=channel,
        path=path[:_PATH_MAX],
        client_address=(client_address(http_request) or None)
        if http_request is not None
        else None,
        forwarded_for=(meta.get("HTTP_X_FORWARDED_FOR") or "")[:_FORWARDED_MAX],
    )


def identifier_is_shown(actor: Person, card_request: CardRequest) -> bool:
    """Whether what `actor` is shown of `card_request` holds its full identifier:
    to whom `VIEW_IDENTIFIER` allows it, while the request still has one."""
    return bool(card_request.identifier) and can(
        actor, Action.VIEW_IDENTIFIER, card_request
    )


def identifier_shown(
    *, actor: Person, card_request: CardRequest, channel: str, http_request
) -> IdentifierAccess | None:
    """After a page or an API detail was rendered for `actor`: record the access
    when it showed the full identifier (`identifier_is_shown`)."""
    if not identifier_is_shown(actor, card_request):
        return None
    return identifier_access_record(
        actor=actor,
        card_request=card_request,
        channel=channel,
        http_request=http_request,
    )


def identifier_shown_again(
    *, actor: Person, card_request_id: int, channel: str, http_request
) -> IdentifierAccess:
    """An answer kept from an earlier showing to `actor` that held the full
    identifier (`identifier_is_shown`) was given again: one more record."""
    return _append(actor, card_request_id, channel, http_request)
