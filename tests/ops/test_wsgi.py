"""The web process as a WSGI server loads it (helpdesk.wsgi): what it loaded is
frozen out of the garbage collector's full collections, the views included; the
benchmark serves the same app."""

import json
import os
import subprocess
import sys

from tests.ops.procs import BASE_DIR

PROBE = """
import gc, json, sys
import helpdesk.wsgi
views = sys.modules.get("cards.views.queue")
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "collected": len(gc.get_objects()),
    "views_frozen": views is not None
    and not any(o is views.__dict__ for o in gc.get_objects()),
}))
"""


BENCH_PROBE = """
import gc, json
import bench.floor, helpdesk.wsgi
from django.urls import resolve
print(json.dumps({
    "same_app": bench.floor.app is helpdesk.wsgi.application,
    "frozen": gc.get_freeze_count(),
    "floor": resolve("/bench/one-query/").func.__name__,
    "queue": resolve("/queue/").func.__module__,
}))
"""


def probed(code: str) -> dict:
    env = {**os.environ, "SECRET_KEY": "wsgi-probe-" + "0123456789" * 5}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    probe = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(probe.stdout.strip().splitlines()[-1])


def test_what_the_web_process_loaded_is_frozen():
    loaded = probed(PROBE)
    # Django, the apps and their libraries: well over 50,000 objects, and all but
    # a few thousand of them out of the collector's reach.
    assert loaded["frozen"] > 50_000
    assert loaded["collected"] < loaded["frozen"] / 10
    # The URLconf's views were imported before the freeze, not at the first request.
    assert loaded["views_frozen"]


def test_the_benchmark_serves_the_app_as_the_server_loads_it():
    loaded = probed(BENCH_PROBE)
    assert loaded["same_app"]
    assert loaded["frozen"] > 50_000
    assert loaded["floor"] == "one_query"
    assert loaded["queue"] == "cards.views.queue"
