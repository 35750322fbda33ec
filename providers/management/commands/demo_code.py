"""The demo authenticator's current code, for signing in as demo CAS staff."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from providers.management.commands import demo_data


class Command(BaseCommand):
    help = "Print the current code of the demo authenticator (only with DEBUG on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo codes exist only with DEBUG=1, never in production."
            )
        if not demo_data.TOTP_KEY_FILE.exists():
            raise CommandError("No demo data yet: run manage.py demo_data first.")
        totp = TOTP(bytes.fromhex(demo_data.demo_totp_key()))
        totp.time = time.time()
        left = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d} (valid for {left} more seconds)")
