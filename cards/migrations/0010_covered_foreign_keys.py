"""Foreign keys whose column leads a composite index lose their own index: every
write of these tables (a filing writes all three) kept one index more each. Only the
indexes go; the foreign key constraints stay as they are (Django's own AlterField
would drop and add them again, checking every row under lock)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The indexes Django made for these foreign keys: (index, table, column).
COVERED = [
    ("cards_cardrequest_assignee_id_d8861a32", "cards_cardrequest", "assignee_id"),
    ("cards_cardrequest_house_id_94bdd12f", "cards_cardrequest", "house_id"),
    ("cards_cardrequest_office_id_07a1975a", "cards_cardrequest", "office_id"),
    ("cards_cardrequest_provider_id_61381c63", "cards_cardrequest", "provider_id"),
    ("cards_event_card_request_id_7f3843c3", "cards_event", "card_request_id"),
    ("cards_event_from_house_id_412a2474", "cards_event", "from_house_id"),
    (
        "cards_identifieraccess_card_request_id_b0fc32f4",
        "cards_identifieraccess",
        "card_request_id",
    ),
    (
        "cards_identifieraccess_person_id_29f0afeb",
        "cards_identifieraccess",
        "person_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0009_provider_status_counts"),
        ("providers", "0003_operations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="cardrequest",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_card_requests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="cardrequest",
                    name="house",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="card_requests",
                        to="providers.house",
                        verbose_name="house",
                    ),
                ),
                migrations.AlterField(
                    model_name="cardrequest",
                    name="office",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="card_requests",
                        to="providers.office",
                        verbose_name="office",
                    ),
                ),
                migrations.AlterField(
                    model_name="cardrequest",
                    name="provider",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="card_requests",
                        to="providers.provider",
                        verbose_name="provider",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="card_request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="cards.cardrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="from_house",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="providers.house",
                    ),
                ),
                migrations.AlterField(
                    model_name="identifieraccess",
                    name="card_request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="identifier_accesses",
                        to="cards.cardrequest",
                        verbose_name="request",
                    ),
                ),
                migrations.AlterField(
                    model_name="identifieraccess",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="identifier_accesses",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for index, table, column in COVERED
            ],
        ),
    ]
