"""The WSGI app the benchmark serves with gunicorn (`bench.floor:app`): the app
itself, loaded as `helpdesk.wsgi` loads it for the server, with bench.urls' two
floor routes in front of its URLs."""

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = "bench.urls"

from helpdesk.wsgi import application as app  # noqa: E402

__all__ = ["app"]
