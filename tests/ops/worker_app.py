"""The Celery app of the fault tests' workers: the project's app, sweeping
unacknowledged messages back to the queue every second instead of every ~100 s,
so that a task of a killed worker comes back soon after its visibility timeout."""

from helpdesk.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
