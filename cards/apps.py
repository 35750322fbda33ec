from django.apps import AppConfig, apps
from django.db.backends.signals import connection_created
from django.db.models.signals import m2m_changed, post_delete, post_save


class CardsConfig(AppConfig):
    name = "cards"

    def ready(self) -> None:
        from django_otp.models import Device
        from rest_framework.authtoken.models import Token

        from cards.aggregates import register_sqlite_functions
        from cards.models import CardRequest, Event, Notification
        from cards.services import versions
        from providers.models import (
            CategoryRoute,
            House,
            Location,
            Office,
            Person,
            Provider,
        )

        # The reports' percentiles on the embedded SQLite database.
        connection_created.connect(
            register_sqlite_functions, dispatch_uid="cards_sqlite_functions"
        )
        # Any change to a house's requests moves its queue's version.
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                versions.on_card_request_saved,
                sender=CardRequest,
                dispatch_uid=f"queue_version_request_{name}",
            )
        post_save.connect(
            versions.on_event_saved,
            sender=Event,
            dispatch_uid="queue_version_event",
        )
        post_save.connect(
            versions.on_notification_saved,
            sender=Notification,
            dispatch_uid="provider_version_notification",
        )
        # Anyone's offices, or an office, changing moves the offices' version.
        m2m_changed.connect(
            versions.offices_version_bump,
            sender=Person.offices.through,
            dispatch_uid="offices_version_people",
        )
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                versions.offices_version_bump,
                sender=Office,
                dispatch_uid=f"offices_version_office_{name}",
            )
        # A house, an office or a category mapping changing moves the routing's.
        for model in (House, Office, CategoryRoute):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(
                    versions.routing_version_bump,
                    sender=model,
                    dispatch_uid=f"routing_version_{model._meta.model_name}_{name}",
                )
        # A person, a token, a device, or what a person is read with, changing
        # moves sign-in's.
        devices = [m for m in apps.get_models() if issubclass(m, Device)]
        for model in (Person, Token, *devices, Provider, Location, House):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(
                    versions.sign_in_version_bump,
                    sender=model,
                    dispatch_uid=f"sign_in_version_{model._meta.label_lower}_{name}",
                )
