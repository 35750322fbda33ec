"""A pytest plugin that watches the whole test session for card identifiers leaking
into logs or broker messages, and fails the session if one does.

What it captures, for every test of the session:

- every log record of every logger at every level: `Logger.isEnabledFor` is made to
  say yes so that records below the configured level are created too, and
  `Logger.handle` takes a copy of each before passing on only those the logging
  configuration would have handled (so the console output is unchanged). For each
  record it scans the raw record's message template, arguments, message, exception
  and stack text (what the code that logs controls, and what any handler receives)
  and the line `helpdesk.logging.JsonFormatter` writes for it (what the production
  handler outputs). Extras are scanned as that line writes them: they are often
  objects (Django's `django.request` passes the HttpRequest, whose repr shows the
  query string), and the formatter masks them. Two Django loggers are scanned
  only as formatted lines at DEBUG (RAW_EXEMPT_DEBUG_LOGGERS: the SQL query log and
  the template engine's lookup dumps carry request data by design);
- every broker message: the `before_task_publish` signal (body and headers of each
  message published to a real broker) and, when tasks run in process (eager, the
  SQLite default), each `apply_async` call's arguments, the message it would have
  published;
- at the end, the log files worker subprocesses wrote under the session's temporary
  directory (tests/cards/test_worker.py, tests/ops): every `*.log` file there.

What it looks for: a CID of the test corpus (20 digits starting with 80642, the
factories' and tests' prefix), a card number (16 letters/digits starting with RO,
in upper or lower case, not both), the same typed in groups of four, and every
identifier a CardRequest was saved with during the session that has neither shape.
Masked forms (bullets or an ellipsis followed by the last 4) are allowed.

A test that deliberately hands an identifier to a logger to prove the formatter
masks it may carry `@pytest.mark.identifier_in_logs`: its raw records are not
scanned, the formatted line still is.

At the end it prints `identifier guard: N log records, M broker messages, 0
identifiers (…)` and, if it found any, names each (logger or task, test,
masked value) and sets the session's exit status to 1.
"""

import contextlib
import logging
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CID_RE = re.compile(r"(?<![0-9])80642[0-9]{15}(?![0-9])")
CARD_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])RO[A-Za-z0-9]{14}(?![A-Za-z0-9])", re.I)
# "8064 2000 3500 1234 5678", "RO12 3456 7890 1234": joined before the scan.
GROUPED_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]{4}[ .\-]){3,4}[A-Za-z0-9]{4}(?![A-Za-z0-9])"
)
# The masked forms: allowed, removed before scanning.
MASKED_RE = re.compile(r"[•*…]+[A-Za-z0-9]{4}(?![A-Za-z0-9])")
MARKER = "identifier_in_logs"
# Django's own DEBUG records whose raw form carries request data by design: the
# query log (SQL with its parameters) and the template engine's variable-lookup
# dumps (the template context, form data included). Settings keep both below the
# written level; their formatted lines are still scanned, like every record's.
RAW_EXEMPT_DEBUG_LOGGERS = frozenset({"django.db.backends", "django.template"})


def masked(value: str) -> str:
    return "•" * (len(value) - 4) + value[-4:]


@dataclass
class Guard:
    records: int = 0
    messages: int = 0
    published: int = 0
    log_files: int = 0
    corpus: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    current: object = None  # the running test item

    def found_in(self, text: str) -> list[str]:
        """The identifiers in `text`, masked forms aside."""
        if not text:
            return []
        text = MASKED_RE.sub("", text)
        joined = GROUPED_RE.sub(lambda m: re.sub(r"[ .\-]", "", m.group(0)), text)
        found = CID_RE.findall(joined) + [
            # A card number is typed in one case; a random token (a CSP nonce in
            # a failed template lookup's context) may mix them and start with "Ro".
            value
            for value in CARD_NUMBER_RE.findall(joined)
            if value.isupper() or value.islower() or value[2:].isdigit()
        ]
        if self.corpus:
            lowered = joined.lower()
            found += [value for value in self.corpus if value.lower() in lowered]
        return found

    def report(self, where: str, texts: list[str]) -> None:
        found = {value for text in texts for value in self.found_in(text)}
        test = getattr(self.current, "nodeid", "(outside a test)")
        for value in sorted(found):
            self.hits.append(f"{where} in {test}: {masked(value)}")

    # Logs --------------------------------------------------------------------------

    def capture_record(self, record: logging.LogRecord) -> None:
        self.records += 1
        texts = [_formatted(record)]
        exempt = self.current is not None and self.current.get_closest_marker(MARKER)
        framework_debug = (
            record.levelno <= logging.DEBUG and record.name in RAW_EXEMPT_DEBUG_LOGGERS
        )
        if not exempt and not framework_debug:
            texts += _raw_texts(record)
        self.report(f"log record of logger {record.name!r}", texts)

    # Broker ------------------------------------------------------------------------

    def capture_message(self, name: str, texts: list[str], *, published: bool):
        self.messages += 1
        self.published += published
        self.report(f"broker message of task {name!r}", texts)

    # Worker log files --------------------------------------------------------------

    def scan_log_files(self, root: Path | None) -> None:
        if root is None or not root.exists():
            return
        for path in root.rglob("*.log"):
            if not path.is_file():
                continue
            self.log_files += 1
            for number, line in enumerate(
                path.read_text(errors="replace").splitlines(), 1
            ):
                texts = [line]
                found = {value for text in texts for value in self.found_in(text)}
                for value in sorted(found):
                    self.hits.append(
                        f"log file {path.name} line {number}: {masked(value)}"
                    )


GUARD = Guard()


def _formatted(record: logging.LogRecord) -> str:
    from helpdesk.logging import JsonFormatter

    try:
        return JsonFormatter().format(record)
    except Exception as error:  # a broken record: scan what can be read
        return f"unformattable record: {error!r}"


def _raw_texts(record: logging.LogRecord) -> list[str]:
    texts = [str(record.msg), _safe_repr(record.args)]
    with contextlib.suppress(Exception):  # bad arguments: template and args remain
        texts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        texts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        texts.append(record.exc_text)
    if record.stack_info:
        texts.append(record.stack_info)
    return texts


def _safe_repr(value) -> str:
    try:
        return repr(value)
    except Exception as error:
        return f"<unrepresentable {type(value).__name__}: {error!r}>"


# Installation ------------------------------------------------------------------------

_original_is_enabled_for = logging.Logger.isEnabledFor
_original_handle = logging.Logger.handle


def _is_enabled_for(self, level):
    return True


def _handle(self, record):
    try:
        GUARD.capture_record(record)
    except Exception as error:  # the guard itself must never break a test's logging
        GUARD.hits.append(f"guard error on a record of {record.name!r}: {error!r}")
    if _original_is_enabled_for(self, record.levelno):
        _original_handle(self, record)


def _before_task_publish(sender=None, body=None, headers=None, **kwargs):
    texts = [_safe_repr(body), _safe_repr(headers)]
    GUARD.capture_message(str(sender), texts, published=True)


def _install_celery() -> None:
    from celery import signals
    from celery.app.task import Task

    signals.before_task_publish.connect(_before_task_publish, weak=False)
    original_apply_async = Task.apply_async

    def apply_async(self, args=None, kwargs=None, *rest, **options):
        # A real publish is seen by the signal; an eager call publishes nothing,
        # so its arguments are scanned here, as the message it stands for.
        if self.app.conf.task_always_eager:
            texts = [_safe_repr(args), _safe_repr(kwargs)]
            GUARD.capture_message(self.name, texts, published=False)
        return original_apply_async(self, args, kwargs, *rest, **options)

    Task.apply_async = apply_async


def _install_corpus() -> None:
    from django.db.models.signals import post_save

    from cards.models import CardRequest

    def remember(sender, instance, **kwargs):
        value = instance.identifier or ""
        if value and not (CID_RE.fullmatch(value) or CARD_NUMBER_RE.fullmatch(value)):
            GUARD.corpus.add(value)

    post_save.connect(remember, sender=CardRequest, weak=False)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the test hands an identifier to a logger on purpose (to prove "
        "masking); the identifier guard scans only its formatted log lines",
    )


def pytest_sessionstart(session):
    logging.Logger.isEnabledFor = _is_enabled_for
    logging.Logger.handle = _handle
    _install_celery()
    _install_corpus()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    GUARD.current = item
    try:
        return (yield)
    finally:
        GUARD.current = None


def pytest_sessionfinish(session, exitstatus):
    logging.Logger.isEnabledFor = _original_is_enabled_for
    logging.Logger.handle = _original_handle
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    GUARD.scan_log_files(Path(basetemp) if basetemp else None)
    if GUARD.hits and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"identifier guard: {GUARD.records} log records, {GUARD.messages} broker "
        f"messages, {len(GUARD.hits)} identifiers ({GUARD.published} messages "
        f"published, {GUARD.messages - GUARD.published} in process; "
        f"{GUARD.log_files} worker log files scanned)"
    )
    if GUARD.hits:
        terminalreporter.write_line(
            "identifier guard: FAILED: an identifier reached a log or a broker "
            "message:",
            red=True,
        )
        for hit in GUARD.hits[:50]:
            terminalreporter.write_line(f"  {hit}", red=True)
        if len(GUARD.hits) > 50:
            terminalreporter.write_line(f"  … and {len(GUARD.hits) - 50} more")
