"""The Celery app: configured from Django settings (CELERY_* names), tasks
discovered in each app's tasks module."""

import os

from celery import Celery, signals

from helpdesk.logging import connect_task_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_task_signals()


@signals.setup_logging.connect(weak=False)
def _keep_django_logging(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (one JSON line per record)."""
