"""The shared cache: Django's Redis backend, keeping one Redis client per
connection pool."""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    """Django's client makes a new `redis.Redis` for every command, and each one
    builds its table of some 170 reply callbacks: about 0.1 ms of CPU a command,
    several commands a page (the session, the queue's version, the unread count).
    A `redis.Redis` takes a connection from its pool for each command, so one is
    safe to share between threads: it is kept per pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
