"""The WSGI app the benchmark serves with gunicorn (`bench.floor:app`): the app
itself, with bench.urls' two floor routes in front of its URLs."""

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = "bench.urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

app = get_wsgi_application()
