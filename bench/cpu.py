"""`make bench-cpu`: the CPU each scenario takes per request in process (Django's
test client, no server and no load) on a database `make bench` seeded. Under load
the throughput moves with this machine's speed by a tenth or more from one run to
the next; these figures compare a change with the code before it, run in turn.

    python -m bench.cpu [--size 10000] [--requests 100] [--runs 3] [--cold]
                        [SCENARIO ...]

Prints, per scenario, the median of its runs: the process's CPU time per request
and the wall time (which adds the waits for PostgreSQL and Redis). `--cold` drops
what the process keeps for the queue (CACHES["fragments"]: its lists and counts, its
drawn rows and filters) before every request: the cost of the first reader after a
change."""

import argparse
import logging
import os
import statistics
import time

from bench.run import app_env, database_of


def measure(context: dict, scenario, *, requests: int, runs: int, cold=False) -> dict:
    """CPU and wall milliseconds per request of `scenario`, the median of `runs`
    runs of `requests` requests each (after a warm-up)."""
    from django.core.cache import caches
    from django.test import Client

    from bench.prepare import card_numbers_base, send

    client = Client()
    base = card_numbers_base()
    sent = 0

    def one() -> None:
        nonlocal sent
        sent += 1
        if cold:
            caches["fragments"].clear()
        spec = scenario.request(context, base + sent)
        response = send(client, spec)
        if response.status_code >= 400:
            raise SystemExit(f"{scenario.name}: answered {response.status_code}")
        if spec.get("follow_etag") and response.has_header("ETag"):
            # As the polling does: the rows' ETag changes every minute.
            context["etag"] = response["ETag"]

    for _ in range(min(requests, 20)):
        one()
    cpu, wall = [], []
    for _ in range(runs):
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        for _ in range(requests):
            one()
        cpu.append((time.process_time() - cpu_started) * 1000 / requests)
        wall.append((time.perf_counter() - wall_started) * 1000 / requests)
    return {"cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help="names (default: all)")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    os.environ.update(app_env(database_of(args.size)[2]))

    # Django set up, and the app loaded as the server loads it (helpdesk.wsgi: what
    # it loaded, frozen).
    import bench.floor  # noqa: F401
    from bench.prepare import _context, rows_etag
    from bench.scenarios import SCENARIOS
    from cards.models import CardRequest

    if not CardRequest.objects.exists():
        raise SystemExit(f"No requests in {database_of(args.size)[1]}: run make bench.")
    logging.disable(logging.CRITICAL)  # one log line per request otherwise
    context = _context()
    context["etag"] = rows_etag(context)
    chosen = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios]
    print(f"| scenario ({args.size:,} requests) | CPU ms per request | wall ms |")
    print("|---|---:|---:|")
    for scenario in chosen:
        figures = measure(
            context, scenario, requests=args.requests, runs=args.runs, cold=args.cold
        )
        print(
            f"| {scenario.label} | {figures['cpu_ms']:.2f} | {figures['wall_ms']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
