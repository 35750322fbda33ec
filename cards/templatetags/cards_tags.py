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


@register.filter
def article_markup(value: str) -> str:
    """An article's plain text as HTML, every character of it escaped: a blank line
    separates paragraphs, lines starting "1. ", "2. "… make a numbered list (from
    its first number) and lines starting "- " a bulleted one."""
    import re

    from django.utils.html import format_html, format_html_join

    blocks = []

    def close(kind: str | None, texts: list[str], start: int) -> None:
        if not texts:
            return
        if kind == "p":
            html = format_html("{}", texts[0])
            for text in texts[1:]:
                html = format_html("{}<br>{}", html, text)
            blocks.append(format_html("<p>{}</p>", html))
            return
        items = format_html_join("", "<li>{}</li>", ((text,) for text in texts))
        if kind == "ol" and start != 1:
            blocks.append(format_html('<ol start="{}">{}</ol>', start, items))
        else:
            blocks.append(format_html("<{}>{}</{}>", kind, items, kind))

    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    for paragraph in re.split(r"\n[ \t]*\n", text):
        kind, texts, start = None, [], 1
        for line in filter(None, (line.strip() for line in paragraph.split("\n"))):
            if numbered := re.fullmatch(r"(\d{1,4})\.\s+(.+)", line):
                this, line_text = "ol", numbered[2]
            elif bulleted := re.fullmatch(r"-\s+(.+)", line):
                this, line_text = "ul", bulleted[1]
            else:
                this, line_text = "p", line
            if this != kind:
                close(kind, texts, start)
                kind, texts = this, []
                start = int(numbered[1]) if numbered else 1
            texts.append(line_text)
        close(kind, texts, start)
    return format_html_join("\n", "{}", ((block,) for block in blocks))
