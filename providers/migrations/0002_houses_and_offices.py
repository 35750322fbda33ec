"""The 43 houses, each with its three offices and its category routes, shipped as
data; the CJAS Timiș office names and phone lines come from its circular."""

import json
from pathlib import Path

from django.db import migrations

HOUSES_FILE = Path(__file__).resolve().parent.parent / "data" / "houses.jsonl"

SHORT_NAMES = {"TM": "CJAS Timiș", "B": "CASMB", "AOPSNAJ": "CASAOPSNAJ"}

OFFICE_NAMES = {
    "primary": "Asistență medicală primară",
    "clinical": "Asistență ambulatorie de specialitate clinică și paraclinică",
    "hospital": "Asistență spitalicească și urgență prespitalicească",
}
OFFICE_SLA_MINUTES = {"primary": 240, "clinical": 240, "hospital": 60}

TIMIS_OFFICES = {
    "primary": (
        "Biroul Contractare, Decontare, Asistență primară",
        ["0736 203 666"],
    ),
    "clinical": (
        "Biroul Contractare, Decontare, Ambulatoriu de specialitate clinic și "
        "Stomatologie, Paraclinic, Dispozitive medicale, Îngrijiri la domiciliu",
        ["0736 203 646"],
    ),
    "hospital": (
        "Biroul Contractare, Decontare, Asistență spitalicească și Urgență "
        "prespitalicească",
        ["0736 110 006"],
    ),
}

DEFAULT_ROUTES = {
    "MF": "primary", "PRM": "primary",
    "CLIN": "clinical", "STOM": "clinical", "PARA": "clinical", "MD": "clinical",
    "HC": "clinical", "RECA": "clinical", "FARMD": "clinical", "FARMI": "clinical",
    "SPT": "hospital", "AMB": "hospital", "RECS": "hospital", "DIA": "hospital",
    "FSD": "hospital",
}


def short_name(code: str, name: str) -> str:
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    return "CAS " + name.removeprefix("Casa de Asigurări de Sănătate ")


def load(apps, schema_editor):
    House = apps.get_model("providers", "House")
    Office = apps.get_model("providers", "Office")
    CategoryRoute = apps.get_model("providers", "CategoryRoute")
    for line in HOUSES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        house, _ = House.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": short_name(row["code"], row["name"]),
                "cnp_county": row.get("cnp_county") or "",
            },
        )
        for kind, default_name in OFFICE_NAMES.items():
            name, phones = TIMIS_OFFICES.get(kind) if house.code == "TM" else (default_name, [])
            Office.objects.update_or_create(
                house=house,
                kind=kind,
                defaults={
                    "name": name,
                    "phones": phones,
                    "sla_minutes": OFFICE_SLA_MINUTES[kind],
                },
            )
        for category, kind in DEFAULT_ROUTES.items():
            CategoryRoute.objects.get_or_create(
                house=house, category=category, defaults={"office_kind": kind}
            )


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
