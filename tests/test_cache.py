"""The shared cache (helpdesk.cache): Django's Redis backend with one Redis client
per connection pool, shared by the threads of a process. Runs where REDIS_URL is
set (CI's second run)."""

import threading

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from redis.exceptions import ConnectionError as RedisConnectionError

pytestmark = pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL")


def test_the_shared_cache_is_the_projects_redis_backend():
    from helpdesk.cache import RedisCache

    assert isinstance(caches["default"], RedisCache)


def test_threads_sharing_the_client_each_read_their_own_values():
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                key = f"test-cache-thread-{n}-{i}"
                cache.set(key, (n, i), 30)
                assert cache.get(key) == (n, i)
                assert cache.get_many([key, "test-cache-missing"]) == {key: (n, i)}
                cache.delete(key)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []


def test_a_cache_that_does_not_answer_fails_every_command():
    from helpdesk.cache import RedisCache

    down = RedisCache(
        "redis://127.0.0.1:9/0",  # nothing listens on port 9
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    for _ in range(2):  # the kept client does not hide the failure
        with pytest.raises(RedisConnectionError):
            down.get("anything")
