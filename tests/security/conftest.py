"""Figures of the security suite, printed at the end of the run."""

import sys

# The world and the per-role clients of the scope, mass-assignment and CSRF tests.
from tests.security.world import clients, world  # noqa: F401


def pytest_terminal_summary(terminalreporter):
    csp = sys.modules.get("tests.security.test_csp")
    if csp is not None and csp.HTML_CHECKED["answers"]:
        terminalreporter.write_line(
            f"csp: {csp.HTML_CHECKED['answers']} HTML answers of "
            f"{len(csp.HTML_CHECKED['routes'])} routes checked, each with the "
            "strict policy"
        )
    fuzz = sys.modules.get("tests.security.test_fuzz")
    if fuzz is None or not fuzz.TOTALS["runs"]:
        return
    totals = fuzz.TOTALS
    statuses = ", ".join(
        f"{klass} {count}" for klass, count in sorted(totals["statuses"].items())
    )
    terminalreporter.write_line(
        f"api fuzz: {len(totals['operations'])} operations x {fuzz.EXAMPLES} "
        f"examples ({totals['runs']} operation-role runs, {totals['examples']} "
        f"calls: {statuses}), {totals['server_errors']} server errors, "
        f"{totals['failures']} check failures"
    )
