from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CardsConfig(AppConfig):
    name = "cards"

    def ready(self) -> None:
        from cards.aggregates import register_sqlite_functions

        # The reports' percentiles on the embedded SQLite database.
        connection_created.connect(
            register_sqlite_functions, dispatch_uid="cards_sqlite_functions"
        )
