"""The knowledge base: the helpdesk's own guidance (the PIN reset, the reader
errors, the forgotten-PIN rule…), public like the contacts page."""

import re

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from cards.models import Article
from cards.selectors import articles_matching

LEAD_WORDS = 30


def article_lead(article: Article) -> str:
    """The start of the article's first paragraph, for the list."""
    first = re.split(r"\r?\n[ \t]*\r?\n", article.body.strip(), maxsplit=1)[0]
    return Truncator(" ".join(first.split())).words(LEAD_WORDS)


@login_not_required
@require_safe
def articles(request):
    """Every article, or those a search (`?q=`, answered here: no script needed)
    finds."""
    query = request.GET.get("q", "").strip()[:100]
    every = list(Article.objects.all())
    found = articles_matching(every, query=query)
    for article in found:
        article.lead = article_lead(article)
    context = {"articles": found, "query": query, "total": len(every)}
    return render(request, "cards/help/list.html", context)


@login_not_required
@require_safe
def article(request, slug):
    """One article; an unknown slug is 404."""
    shown = get_object_or_404(Article, slug=slug)
    others = Article.objects.exclude(pk=shown.pk)
    return render(
        request, "cards/help/article.html", {"article": shown, "others": others}
    )
