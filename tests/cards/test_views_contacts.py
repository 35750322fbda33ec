"""The public contacts page: every house, its offices and phone numbers."""

import pytest

from providers.models import House
from tests.providers.factories import house


def contacts(client, **params):
    response = client.get("/contacts/", params)
    assert response.status_code == 200
    return response.content.decode()


def shown(html, code):
    """True when the house's card is on the page and not hidden."""
    start = html.index(f'id="house-{code}"')
    tag = html[start : html.index(">", start)]
    return " hidden" not in tag


def test_the_page_needs_no_sign_in_and_shows_the_national_line(client, db):
    html = contacts(client)
    assert "Contacts of the health insurance houses" in html
    assert '<a href="tel:+40800800950">0800 800 950</a>' in html
    assert "Sign out" not in html
    assert 'aria-label="Main"' not in html  # no navigation for anonymous visitors


def test_every_active_house_is_listed_with_its_offices(client, db):
    html = contacts(client)
    assert (
        html.count('class="card house"') == House.objects.filter(is_active=True).count()
    )
    assert 'id="house-TM"' in html
    assert "Casa Județeană de Asigurări de Sănătate Timiș" in html
    assert '<a class="tel" href="tel:+40736203666">0736 203 666</a>' in html
    assert '<a class="tel" href="tel:+40736203646">0736 203 646</a>' in html
    assert '<a class="tel" href="tel:+40736110006">0736 110 006</a>' in html
    assert "Biroul Contractare, Decontare, Asistență primară" in html
    assert "Luni–Vineri 08:00–16:00" in html
    assert html.index("Primary care") < html.index("Clinical and paraclinical")


def test_a_house_without_numbers_points_to_the_national_line(client, db):
    html = contacts(client)
    cluj = html[html.index('id="house-CJ"') : html.index('id="house-CS"')]
    assert "No phone numbers published yet for this house" in cluj
    assert "tel:+40800800950" in cluj
    timis = html[html.index('id="house-TM"') : html.index('id="house-TR"')]
    assert "No phone numbers published yet" not in timis


def test_website_email_and_office_email_show_when_set(client, db):
    cluj = house("CJ")
    cluj.website = "https://www.cjas.ro"
    cluj.email = "contact@cjas.ro"
    cluj.save()
    cluj.offices.filter(kind="primary").update(
        email="primara@cjas.ro", phones=["0264 123 456"]
    )
    html = contacts(client)
    assert 'href="https://www.cjas.ro"' in html
    assert 'href="mailto:contact@cjas.ro"' in html
    assert 'href="mailto:primara@cjas.ro"' in html
    assert '<a class="tel" href="tel:+40264123456">0264 123 456</a>' in html


def test_an_inactive_house_is_not_listed(client, db):
    House.objects.filter(code="VN").update(is_active=False)
    assert 'id="house-VN"' not in contacts(client)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("timis", "TM"),
        ("Timiș", "TM"),
        ("tm", "TM"),
        ("cluj", "CJ"),
        ("0736 203", "TM"),
    ],
)
def test_a_search_without_scripts_hides_the_other_houses(client, db, query, code):
    html = contacts(client, q=query)
    assert shown(html, code)
    assert not shown(html, "AB")
    assert f'value="{query}"' in html
    assert '<span id="contacts-count">1</span>' in html


def test_a_search_for_a_code_finds_that_house_only(client, db):
    html = contacts(client, q="B")
    assert shown(html, "B")
    assert not shown(html, "BH")
    assert not shown(html, "AB")


def test_a_search_that_finds_nothing_says_so(client, db):
    html = contacts(client, q="zzz")
    assert '<span id="contacts-count">0</span>' in html
    assert 'id="contacts-none" hidden' not in html
    assert "No house matches this search." in html


def test_signed_in_users_see_the_page_with_their_navigation(client, operator):
    client.force_login(operator)
    html = contacts(client)
    assert "Phone console" in html
    assert 'id="house-TM"' in html


def test_the_page_is_in_romanian_by_default(client, db, settings):
    settings.LANGUAGE_CODE = "ro"
    html = contacts(client)
    assert 'lang="ro"' in html
    assert ">English</button>" in html


def test_the_page_has_no_inline_script_or_style(client, db):
    html = contacts(client)
    assert "<script>" not in html
    assert " style=" not in html
