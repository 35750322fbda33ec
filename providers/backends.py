"""Sign-in: Django's model backend, reading the signed-in person with their house."""

from django.contrib.auth.backends import ModelBackend

from providers.models import Person


class PersonBackend(ModelBackend):
    """Checks passwords as Django's model backend does (and refuses inactive
    people on every request). A session's person is read with their house in the
    same query: staff pages name it and scope by it."""

    def get_user(self, user_id):
        try:
            person = Person._default_manager.select_related("house").get(pk=user_id)
        except Person.DoesNotExist:
            return None
        return person if self.user_can_authenticate(person) else None
