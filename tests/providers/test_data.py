"""The houses, offices and routes that ship with the product."""

import pytest

from providers.models import Category, CategoryRoute, House, Office, OfficeKind

pytestmark = pytest.mark.django_db


def test_all_43_houses_ship_with_three_offices_each():
    assert House.objects.count() == 43
    assert Office.objects.count() == 43 * 3
    for house in House.objects.prefetch_related("offices"):
        assert {o.kind for o in house.offices.all()} == set(OfficeKind.values)


def test_names_use_romanian_diacritics_with_comma_below():
    names = " ".join(House.objects.values_list("name", flat=True))
    assert "ş" not in names and "ţ" not in names
    assert (
        House.objects.get(code="TM").name
        == "Casa Județeană de Asigurări de Sănătate Timiș"
    )
    assert House.objects.get(code="TM").short_name == "CJAS Timiș"
    assert House.objects.get(code="B").short_name == "CASMB"
    assert House.objects.get(code="CJ").short_name == "CAS Cluj"
    assert House.objects.filter(code="AOPSNAJ").exists()


def test_timis_offices_carry_the_circulars_phone_numbers():
    phones = dict(Office.objects.filter(house__code="TM").values_list("kind", "phones"))
    assert phones == {
        "primary": ["0736 203 666"],
        "clinical": ["0736 203 646"],
        "hospital": ["0736 110 006"],
    }


@pytest.mark.parametrize(
    ("category", "office"),
    [
        (Category.MF, "primary"),
        (Category.PRM, "primary"),
        (Category.CLIN, "clinical"),
        (Category.STOM, "clinical"),
        (Category.PARA, "clinical"),
        (Category.MD, "clinical"),
        (Category.HC, "clinical"),
        (Category.RECA, "clinical"),
        (Category.FARMD, "clinical"),
        (Category.FARMI, "clinical"),
        (Category.SPT, "hospital"),
        (Category.AMB, "hospital"),
        (Category.RECS, "hospital"),
        (Category.DIA, "hospital"),
        (Category.FSD, "hospital"),
    ],
)
def test_every_house_routes_each_category_to_its_office(category, office):
    routes = CategoryRoute.objects.filter(category=category)
    assert routes.count() == 43
    assert set(routes.values_list("office_kind", flat=True)) == {office}
