"""Template helpers that defer to cards.permissions (templates never read roles)."""

from django import template

from cards.models import CardRequest
from cards.permissions import Action, can

register = template.Library()


@register.simple_tag
def may(user, action: str, card_request: CardRequest | None = None) -> bool:
    """`{% may user "claim" card_request as may_claim %}`"""
    return can(user, Action(action), card_request)


@register.simple_tag
def identifier_for(user, card_request: CardRequest) -> str:
    """The card's identifier in full for who may see it, otherwise masked."""
    if can(user, Action.VIEW_IDENTIFIER, card_request):
        return card_request.identifier
    return card_request.masked_identifier


@register.filter
def masked_text(value: str) -> str:
    """Free text with anything shaped like a CID, CNP or card number cut to its
    last 4 (people type them into notes and answers read by many)."""
    from cards.masking import mask_text

    return mask_text(value or "")
