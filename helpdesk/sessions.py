"""Sessions kept in the database and read through the shared cache (Redis), so
that a signed-in page does not wait for a session query.

The database stays the record: every write goes to it first, and the cache is
only a faster way to read it. When the cache does not answer, pages read the
session from the database and go on (Django's own cached_db store answers 500
for the cache write that follows that read, and for the cache delete at
sign-out). A copy is cached for SESSION_CACHE_SECONDS at most: a session ended
while the cache could not be reached (its copy could not be removed) is refused
again that long after, whatever the cache holds.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("helpdesk.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unavailable: read from the database")
            return self._load_from_db(cache=False)
        if data is None:
            return self._load_from_db(cache=True)
        return data

    def _load_from_db(self, *, cache: bool) -> dict:
        session = self._get_session_from_db()
        if session is None:
            return {}
        data = self.decode(session.session_data)
        if cache:
            self._cache_set(data, self.get_expiry_age(expiry=session.expire_date))
        return data

    def _cache_set(self, data: dict, expiry_age: int) -> None:
        seconds = min(expiry_age, settings.SESSION_CACHE_SECONDS)
        try:
            self._cache.set(self.cache_key, data, seconds)
        except Exception:
            logger.warning("session cache unavailable: not cached")

    def save(self, must_create=False):
        cached_db.DBStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_age())

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:
            return cached_db.DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        cached_db.DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            logger.error(
                "session cache unavailable: an ended session stays cached for "
                "up to %s s",
                settings.SESSION_CACHE_SECONDS,
            )
