"""The Romanian catalogue is complete: `makemessages`, run on a copy of the code,
finds every message translated and none fuzzy (a guess it leaves for a changed
text), and the compiled catalogue shipped is the one its source compiles to."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("locale") / "ro" / "LC_MESSAGES"
SOURCES = ["manage.py", "helpdesk", "cards", "providers", "templates", "locale"]

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="needs GNU gettext (msgfmt, xgettext)"
)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> Path:
    """A copy of the code with its catalogue refreshed by makemessages."""
    copy = tmp_path_factory.mktemp("messages")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy(source, copy / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ro", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
    )
    return copy


def _entries(text: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", text) if "msgid" in block]


def _is_untranslated(block: str) -> bool:
    lines = [line for line in block.splitlines() if not line.startswith("#")]
    strings, current = {}, None
    for line in lines:
        match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
        if match:
            current = match.group(1)
            strings[current] = match.group(2)
        elif current and line.startswith('"'):
            strings[current] += line[1:-1]
    if not strings.get("msgid"):
        return False  # the header
    return any(not value for key, value in strings.items() if key.startswith("msgstr"))


def test_every_message_is_translated_and_none_is_fuzzy(refreshed):
    entries = _entries((refreshed / CATALOGUE / "django.po").read_text())[1:]
    fuzzy = [e for e in entries if re.search(r"^#,.*\bfuzzy\b", e, re.MULTILINE)]
    untranslated = [e for e in entries if _is_untranslated(e)]
    assert not fuzzy, fuzzy[:3]
    assert not untranslated, untranslated[:3]
    assert len(entries) > 500


def test_the_shipped_compiled_catalogue_is_its_source_compiled(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "-o", compiled, ROOT / CATALOGUE / "django.po"], check=True
    )
    assert compiled.read_bytes() == (ROOT / CATALOGUE / "django.mo").read_bytes(), (
        "Run `make messages` and commit locale/."
    )
