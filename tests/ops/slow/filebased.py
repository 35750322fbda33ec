"""A test-only email backend for the worker-kill fault test: the file-based
backend, slowed down so that a worker can be killed while it sends.

Selected in a test's worker process only, by EMAIL_BACKEND (its dotted path ends
in `filebased.EmailBackend`, so settings hand it EMAIL_FILE_PATH)."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend


class EmailBackend(FileEmailBackend):
    """Writes `sending-<pid>` beside the messages, sleeps SLOW_EMAIL_SECONDS, then
    writes the message file (nothing is written if the process dies meanwhile)."""

    def send_messages(self, email_messages):
        marker = Path(self.file_path).parent / f"sending-{os.getpid()}"
        marker.write_text("")
        time.sleep(float(os.environ.get("SLOW_EMAIL_SECONDS", "0")))
        return super().send_messages(email_messages)
