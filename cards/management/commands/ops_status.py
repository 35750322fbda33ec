"""`manage.py ops_status [--json]`: what an operator on call looks at first.

Per house: open requests by status (queue depth), pending and failed notifications,
SLA breaches (requests the CAS still works on, past their due time); and, when
REDIS_URL is set, the broker's queue length."""

import json
from collections import defaultdict
from datetime import datetime

import redis
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from cards.models import (
    OPEN_STATUSES,
    CardRequest,
    Notification,
    NotificationStatus,
    Status,
)
from providers.models import House

# Statuses in which the CAS owes work (resolved waits for the provider).
CAS_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.NEEDS_INFO)
BROKER_QUEUE = "celery"


def ops_status_per_house(*, now: datetime) -> list[dict]:
    """Open requests by status, pending/failed notifications and SLA breaches (CAS
    still working, past due) per house, busiest first; houses with nothing omitted."""
    rows: dict[str, dict] = defaultdict(
        lambda: {
            "open": {status: 0 for status in OPEN_STATUSES},
            "pending_notifications": 0,
            "failed_notifications": 0,
            "sla_breaches": 0,
        }
    )
    for item in (
        CardRequest.objects.filter(status__in=OPEN_STATUSES)
        .values("house__code", "status")
        .annotate(n=Count("id"))
    ):
        rows[item["house__code"]]["open"][item["status"]] = item["n"]
    for item in (
        CardRequest.objects.filter(status__in=CAS_STATUSES, due_at__lt=now)
        .values("house__code")
        .annotate(n=Count("id"))
    ):
        rows[item["house__code"]]["sla_breaches"] = item["n"]
    for item in (
        Notification.objects.filter(
            status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
        )
        .values("card_request__house__code", "status")
        .annotate(n=Count("id"))
    ):
        key = f"{item['status']}_notifications"
        rows[item["card_request__house__code"]][key] = item["n"]
    names = dict(House.objects.values_list("code", "short_name"))
    result = [
        {"house": code, "name": names.get(code, ""), **values}
        for code, values in rows.items()
    ]
    result.sort(
        key=lambda r: (-r["sla_breaches"], -sum(r["open"].values()), r["house"])
    )
    return result


def broker_queue_length(*, redis_url: str) -> dict | None:
    """Messages waiting in the broker's default queue and delivered but not yet
    acknowledged; None without a broker, an error text if it does not answer."""
    if not redis_url:
        return None
    try:
        client = redis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=2
        )
        return {
            "queue": BROKER_QUEUE,
            "waiting": client.llen(BROKER_QUEUE),
            "unacked": client.hlen("unacked"),
        }
    except redis.RedisError as error:
        return {"queue": BROKER_QUEUE, "error": f"{type(error).__name__}: {error}"}


class Command(BaseCommand):
    help = (
        "Per house: open requests by status, pending/failed notifications and SLA "
        "breaches; the broker's queue length when REDIS_URL is set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        now = timezone.now()
        houses = ops_status_per_house(now=now)
        broker = broker_queue_length(redis_url=settings.REDIS_URL)
        totals = {
            "open": sum(sum(h["open"].values()) for h in houses),
            "pending_notifications": sum(h["pending_notifications"] for h in houses),
            "failed_notifications": sum(h["failed_notifications"] for h in houses),
            "sla_breaches": sum(h["sla_breaches"] for h in houses),
        }
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "at": now.isoformat(),
                        "houses": houses,
                        "totals": totals,
                        "broker": broker,
                    },
                    indent=2,
                )
            )
            return
        header = (
            f"{'house':<8}{'new':>6}{'in_prog':>9}{'needs_info':>12}{'resolved':>10}"
            f"{'pending':>9}{'failed':>8}{'breaches':>10}"
        )
        self.stdout.write(header)
        for h in houses:
            self.stdout.write(
                f"{h['house']:<8}{h['open'][Status.NEW]:>6}"
                f"{h['open'][Status.IN_PROGRESS]:>9}{h['open'][Status.NEEDS_INFO]:>12}"
                f"{h['open'][Status.RESOLVED]:>10}{h['pending_notifications']:>9}"
                f"{h['failed_notifications']:>8}{h['sla_breaches']:>10}"
            )
        self.stdout.write(
            f"total: {totals['open']} open, {totals['pending_notifications']} pending "
            f"and {totals['failed_notifications']} failed notifications, "
            f"{totals['sla_breaches']} SLA breaches"
        )
        if broker is None:
            self.stdout.write("broker: none (REDIS_URL not set; tasks run in process)")
        elif "error" in broker:
            self.stdout.write(f"broker: unreachable ({broker['error']})")
        else:
            self.stdout.write(
                f"broker: {broker['waiting']} waiting in '{broker['queue']}', "
                f"{broker['unacked']} delivered but not acknowledged"
            )
