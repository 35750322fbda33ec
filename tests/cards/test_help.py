"""The knowledge base: the seeded guidance, the public pages in both languages,
the search, the markup, editing in the admin, and the links to it."""

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from cards.admin import ArticleAdmin
from cards.models import Article
from cards.templatetags.cards_tags import article_markup
from tests.cards.factories import ArticleFactory

SEEDED = ("pin-reset", "reader-errors", "forgotten-pin", "which-house")
READER_CODES = (15, 5, 17, 14, 21, 36, 37, 41, 13, 3, 29, 44, 8, 9, 10)


def seeded(slug):
    return Article.objects.get(slug=slug)


def page(client, path, language="en", **params):
    client.cookies["django_language"] = language
    response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def listed_slugs(html):
    return re.findall(r'<h2><a href="/help/([\w-]+)/">', html)


# The seeded articles --------------------------------------------------------------


def test_the_guidance_ships_in_romanian_and_english(db):
    assert list(Article.objects.values_list("slug", flat=True)) == list(SEEDED)
    for article in Article.objects.all():
        for field in ("title_ro", "title_en", "body_ro", "body_en"):
            assert getattr(article, field).strip(), (article.slug, field)
        assert article.body_ro != article.body_en


def test_romanian_texts_use_the_comma_below_diacritics(db):
    romanian = " ".join(
        a.title_ro + a.body_ro for a in Article.objects.filter(slug__in=SEEDED)
    )
    assert not set("şţŞŢ") & set(romanian)
    assert {"ș", "ț", "ă", "â", "î"} <= set(romanian)


def test_the_pin_reset_article_has_the_eight_steps_and_the_reset_pin(db):
    article = seeded("pin-reset")
    for body in (article.body_en, article.body_ro):
        steps = re.findall(r"^(\d+)\. ", body, re.MULTILINE)
        assert steps == [str(n) for n in range(1, 9)]
        assert "0000" in body
        assert "Reset PIN eCard" in body
    assert "Change PIN eCard" in article.body_en
    assert "Schimbă PIN eCard" in article.body_ro
    assert "the PIN was changed successfully" in article.body_en


@pytest.mark.parametrize("code", READER_CODES)
def test_the_reader_errors_article_explains_every_code(db, code):
    article = seeded("reader-errors")
    for body, joiner in ((article.body_en, "or"), (article.body_ro, "sau")):
        item = re.compile(rf"^- [\d, ]*(?:{joiner} )?\b{code}\b[^:]*: .+", re.M)
        assert item.search(body), (code, joiner)


def test_the_reader_errors_article_says_which_codes_the_cas_fixes(db):
    body = seeded("reader-errors").body_en
    fixed, not_ours = body.split("Not for the CAS")
    assert "- 15, card blocked: file a blocked-card request with the CID" in fixed
    assert "- 5, card invalid" in fixed and "- 17, card invalid" in fixed
    assert "- 14, wrong PIN" in not_ours
    assert "the fifth wrong PIN blocks the card (error 15)" in not_ours


def test_the_forgotten_pin_rule_five_tries_then_blocked(db):
    article = seeded("forgotten-pin")
    assert "has 5 tries" in article.body_en
    assert "the card blocks by itself (error 15)" in article.body_en
    assert "blocked-card procedure applies" in article.body_en
    assert "there is nothing to run on the reader" in article.body_en
    assert "are 5 încercări" in article.body_ro
    assert "cardul se blochează automat (eroarea 15)" in article.body_ro
    assert "nu este necesară nicio operațiune pe cititor" in article.body_ro


def test_the_house_article_names_the_issuing_house_and_never_a_pin_or_cnp(db):
    article = seeded("which-house")
    assert "fixed by the house the card was issued for" in article.body_en
    assert "casa de asigurări pentru care a fost emis cardul" in article.body_ro
    never_en = article.body_en.split("What the helpdesk never asks for")[1]
    assert "the card's PIN" in never_en and "CNP" in never_en
    never_ro = article.body_ro.split("Ce nu vă cere niciodată helpdesk-ul")[1]
    assert "PIN-ul cardului" in never_ro and "CNP-ul" in never_ro


def test_an_article_falls_back_to_romanian_without_english(db):
    article = ArticleFactory(title_en="", body_en=" ")
    with translation.override("en"):
        assert article.title == article.title_ro
        assert article.body == article.body_ro
        assert seeded("pin-reset").title == seeded("pin-reset").title_en
    with translation.override("ro"):
        assert seeded("pin-reset").body == seeded("pin-reset").body_ro


# The pages -----------------------------------------------------------------------


def test_the_list_needs_no_sign_in_and_lists_every_article_in_english(client, db):
    html = page(client, "/help/", "en")
    assert listed_slugs(html) == list(SEEDED)
    assert "The PIN reset after a blocked card is unblocked" in html
    assert "What each card reader error means" in html
    assert 'aria-label="Main"' not in html  # no navigation for anonymous visitors
    assert 'href="/contacts/"' in html


def test_the_list_in_romanian(client, db):
    html = page(client, "/help/", "ro")
    assert '<html lang="ro">' in html
    assert "Resetarea PIN-ului după deblocarea cardului" in html
    assert "PIN uitat: 5 încercări, apoi cardul se blochează" in html
    assert "The PIN reset after a blocked card is unblocked" not in html


def test_the_list_in_the_browser_language(client, db):
    client.cookies.clear()
    response = client.get("/help/", headers={"Accept-Language": "ro-RO,ro;q=0.9"})
    assert "Ce înseamnă erorile cititorului de carduri" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "query", "found"),
    [
        ("en", "forgot", ["forgotten-pin"]),
        ("en", "FORGOTTEN pin", ["forgotten-pin"]),
        ("en", "transport PIN", ["reader-errors"]),
        ("en", "CNP", ["which-house"]),
        ("ro", "uitat", ["forgotten-pin"]),
        # Diacritics and case are ignored.
        ("ro", "incercari", ["reader-errors", "forgotten-pin"]),
        ("ro", "SCHIMBA pin ECARD", ["pin-reset"]),
        ("ro", "0000", ["pin-reset", "reader-errors", "forgotten-pin"]),
        # The search reads the language shown.
        ("ro", "forgot", []),
    ],
)
def test_the_search_is_answered_by_the_server(client, db, language, query, found):
    html = page(client, "/help/", language, q=query)
    assert listed_slugs(html) == found
    assert f'value="{query}"' in html
    if not found:
        assert "No article matches" in html or "Niciun articol" in html


def test_a_search_that_finds_nothing_says_so_and_links_back(client, db):
    html = page(client, "/help/", "en", q="no such thing")
    assert listed_slugs(html) == []
    assert "No article matches this search." in html
    assert 'href="/help/"' in html


def test_an_article_page_in_english_and_romanian(client, db):
    html = page(client, "/help/pin-reset/", "en")
    assert '<h1 id="article-title">The PIN reset after a blocked card is' in html
    steps = html[html.index("<ol>") : html.index("</ol>")]
    assert steps.count("<li>") == 8
    assert "<li>Press Change PIN eCard.</li>" in steps
    assert "(four zeros)" in steps
    assert 'href="/help/reader-errors/"' in html  # the other articles
    html = page(client, "/help/pin-reset/", "ro")
    assert "Resetarea PIN-ului după deblocarea cardului" in html
    assert "<li>Apăsați butonul [Schimbă PIN eCard].</li>" in html
    assert "Press Change PIN eCard." not in html


def test_an_article_without_english_shows_the_romanian_text_marked_as_such(client, db):
    article = ArticleFactory(title_en="", body_en="")
    html = page(client, f"/help/{article.slug}/", "en")
    assert f'<h1 id="article-title" lang="ro">{article.title_ro}</h1>' in html
    assert '<div class="article-body" lang="ro">' in html
    assert "<li>Primul pas.</li>" in html


def test_an_unknown_article_is_404(client, db):
    assert client.get("/help/no-such-article/").status_code == 404


def test_the_help_pages_only_read(client, db):
    assert client.post("/help/").status_code == 405
    assert client.post("/help/pin-reset/").status_code == 405


def test_an_article_body_is_escaped_on_the_page(client, db):
    article = ArticleFactory(
        title_en="<b>bold</b> title",
        body_en='<script>alert("x")</script>\n\n- <img src=x onerror=alert(1)>',
    )
    html = page(client, f"/help/{article.slug}/", "en")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in html
    assert "&lt;b&gt;bold&lt;/b&gt; title" in html
    assert "<b>bold" not in html
    listing = page(client, "/help/", "en")
    assert "&lt;script&gt;" in listing and "<script>alert" not in listing


# The markup ----------------------------------------------------------------------


def test_the_markup_builds_paragraphs_and_lists():
    html = article_markup(
        "First line\nsecond line.\n\n1. One\n2. Two\n\nItems:\n- a\n- b\n\n\n3. Three"
    )
    assert html == (
        "<p>First line<br>second line.</p>\n"
        "<ol><li>One</li><li>Two</li></ol>\n"
        "<p>Items:</p>\n"
        "<ul><li>a</li><li>b</li></ul>\n"
        '<ol start="3"><li>Three</li></ol>'
    )


def test_the_markup_escapes_every_character_of_the_text():
    html = article_markup(
        "<script>alert(1)</script>\r\n\r\n1. <b onclick=x>&amp;\n- \"'>"
    )
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<ol><li>&lt;b onclick=x&gt;&amp;amp;</li></ol>\n"
        "<ul><li>&quot;&#x27;&gt;</li></ul>"
    )
    assert article_markup("") == ""
    assert article_markup(None) == ""


def test_the_markup_leaves_other_lines_alone():
    assert article_markup("1.5 mm\n-5 degrees\n1) one") == (
        "<p>1.5 mm<br>-5 degrees<br>1) one</p>"
    )


# Editing in the admin --------------------------------------------------------------


def _change_form(article, **changes):
    data = {
        "slug": article.slug,
        "position": article.position,
        "title_ro": article.title_ro,
        "title_en": article.title_en,
        "body_ro": article.body_ro,
        "body_en": article.body_en,
        "_save": "Save",
    }
    return {**data, **changes}


@pytest.fixture
def admin_staff(client, national_admin):
    """A national admin with the admin open to them (staff, not a superuser)."""
    national_admin.is_staff = True
    national_admin.save()
    client.force_login(national_admin)
    return client


def test_a_national_admin_edits_an_article_and_is_recorded(admin_staff, national_admin):
    article = seeded("forgotten-pin")
    assert "help articles" in admin_staff.get("/admin/").content.decode().lower()
    listing = admin_staff.get("/admin/cards/article/")
    assert listing.status_code == 200
    assert article.title_ro in listing.content.decode()
    url = f"/admin/cards/article/{article.pk}/change/"
    assert admin_staff.get(url).status_code == 200
    new_body = article.body_en + "\n\n- The reader's supplier can tell tries left."
    response = admin_staff.post(url, _change_form(article, body_en=new_body))
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.body_en == new_body
    assert article.updated_by == national_admin
    html = page(admin_staff, "/help/forgotten-pin/", "en")
    assert "<li>The reader&#x27;s supplier can tell tries left.</li>" in html


def test_a_national_admin_adds_and_deletes_an_article(admin_staff, national_admin):
    response = admin_staff.post(
        "/admin/cards/article/add/",
        {
            "slug": "card-replacement",
            "position": 50,
            "title_ro": "Card pierdut",
            "title_en": "",
            "body_ro": "Un card pierdut se înlocuiește la casa de asigurări.",
            "body_en": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(slug="card-replacement")
    assert article.updated_by == national_admin
    response = admin_staff.post(
        f"/admin/cards/article/{article.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Article.objects.filter(slug="card-replacement").exists()


@pytest.mark.parametrize("superuser", [False, True])
def test_other_staff_cannot_see_or_change_articles(client, supervisor, superuser):
    supervisor.is_staff = True
    supervisor.is_superuser = superuser
    supervisor.save()
    client.force_login(supervisor)
    article = seeded("pin-reset")
    before = article.body_en
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/cards/article/" not in index.content.decode()
    assert client.get("/admin/cards/article/").status_code == 403
    url = f"/admin/cards/article/{article.pk}/change/"
    assert client.get(url).status_code == 403
    response = client.post(url, _change_form(article, body_en="changed"))
    assert response.status_code == 403
    assert client.get("/admin/cards/article/add/").status_code == 403
    article.refresh_from_db()
    assert article.body_en == before


def test_an_inactive_national_admin_cannot_edit(client, national_admin):
    national_admin.is_active = False
    request = RequestFactory().get("/admin/cards/article/")
    request.user = national_admin
    model_admin = ArticleAdmin(Article, admin.site)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request)
    national_admin.is_active = True
    assert model_admin.has_change_permission(request)


# Where the help is linked ------------------------------------------------------------


def test_the_provider_form_links_to_the_reader_errors_and_pin_reset(
    client, provider_agent
):
    client.force_login(provider_agent)
    html = page(client, "/requests/new/", "en")
    aside = html[html.index('<aside class="card aside-help"') : html.index("</aside>")]
    assert 'href="/help/reader-errors/"' in aside
    assert 'href="/help/pin-reset/"' in aside
    assert '<a href="/help/">Help</a>' in html  # the navigation
    for path in ("/help/reader-errors/", "/help/pin-reset/"):
        assert client.get(path).status_code == 200


def test_the_console_links_to_the_help(client, operator):
    client.force_login(operator)
    html = page(client, "/console/", "en")
    contacts = html.index("Contacts of every house")
    assert 'href="/help/"' in html[contacts : contacts + 200]


def test_the_navigation_marks_the_help_as_current(client, specialist):
    client.force_login(specialist)
    html = page(client, "/help/which-house/", "en")
    assert '<a href="/help/" aria-current="page">Help</a>' in html
