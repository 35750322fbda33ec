from django.apps import AppConfig
from django.db.models.signals import post_save


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self) -> None:
        from providers import schema  # noqa: F401  (registers the OpenAPI scheme)
        from providers.models import Person
        from providers.security import person_saved

        # Deactivating a person (the admin, a script, anywhere a model is saved)
        # ends their sessions and token at once.
        post_save.connect(person_saved, sender=Person, dispatch_uid="person_saved")
