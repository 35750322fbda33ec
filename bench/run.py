"""`make bench`: for each size, a PostgreSQL database seeded with that many
requests (bench.seed), the app under gunicorn on 127.0.0.1 with 2 workers as in
production on this 2-core machine, and bounded load on each scenario from a
separate process (bench.load). Prints, per scenario, requests/s, p50 and p99
latency, SQL queries per request and the ratio to the one-query floor, and writes
them to var/bench/.

    python -m bench.run [--sizes 10000 1000000] [--seconds 8] [--concurrency 4]
                        [--rounds 3] [--floor-seconds 3] [--fresh] [SCENARIO ...]

Every size's server runs for the whole measure, and each scenario is measured at
every size in turn (and round after round with --rounds, each figure then the
median of its rounds). Before each scenario with a target, the one-query floor
is measured again at that size for --floor-seconds: this machine's speed drifts
within a run, and a scenario's target is judged against the floor of its own
minute, round by round (the median of the rounds' ratios; the ratio to the run's
first floor is printed beside it). The databases (helpdesk_bench_<size>) are
kept between runs: a second run skips the seeding (drop them with `--fresh`). Naming scenarios measures those and the floors only."""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
OUT = ROOT / "var" / "bench"
# The data sits in memory or on SSD: a random page read costs little more than a
# sequential one, so the planner reads one house's rows by the house's index
# rather than the whole country's period in time order.
POSTGRES_SETTINGS = {"random_page_cost": "1.1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, port: int = 0) -> dict:
    """The app's environment for a benchmark database (and, given a port, its
    gunicorn)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": env.get("SECRET_KEY", "bench-" + "0123456789" * 5),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            # Plain HTTP on loopback, as behind a TLS proxy.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            # The load files and looks up far faster than people may.
            "RATE_LIMIT_FILING": "",
            "RATE_LIMIT_LOOKUP": "",
            "WEB_CONCURRENCY": env.get("BENCH_WORKERS", "2"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            # No worker recycling mid-run (it would show as latency spikes).
            "GUNICORN_MAX_REQUESTS": "0",
            "STAFF_IDLE_TIMEOUT_SECONDS": "86400",
        }
    )
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    return env


def _psql_admin(base: str, sql: str) -> None:
    url = urlsplit(base)
    subprocess.run(
        [
            "psql",
            "-q",
            "-h",
            url.hostname or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            "postgres",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
    )


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}")


def _etag(port: int, context: dict) -> str:
    from bench.scenarios import SCENARIOS

    spec = next(s for s in SCENARIOS if s.name == "refresh_changed").request(context)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", spec["path"], headers=spec["headers"])
    response = connection.getresponse()
    response.read()
    if response.status != 200 or not response.getheader("ETag"):
        raise SystemExit(f"/queue/rows/ answered {response.status} without an ETag")
    return response.getheader("ETag")


def _load(spec: dict) -> dict:
    done = subprocess.run(
        [PYTHON, "-m", "bench.load"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


def database_of(size: int) -> tuple[str, str, str]:
    """The server's address, the name and the address of the size's database."""
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    name = f"helpdesk_bench_{size}"
    return base, name, f"{base.rstrip('/')}/{name}"


def start_size(size: int, args) -> dict:
    """The size's database (created, migrated and seeded unless kept from an
    earlier run), its sessions and query counts, and its gunicorn answering."""
    base, name, database_url = database_of(size)
    port = _free_port()
    env = app_env(database_url, port)
    if args.fresh:
        _psql_admin(base, f"DROP DATABASE IF EXISTS {name}")
    try:
        _psql_admin(base, f"CREATE DATABASE {name}")
        print(f"[{size}] new database {name}", flush=True)
    except subprocess.CalledProcessError:
        print(f"[{size}] using the existing database {name}", flush=True)
    # The planner's settings of the production database (docker/compose.yaml).
    for setting, value in POSTGRES_SETTINGS.items():
        _psql_admin(base, f"ALTER DATABASE {name} SET {setting} = {value}")
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    started = time.perf_counter()
    prepared = subprocess.run(
        [PYTHON, "-m", "bench.prepare", str(size)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(prepared.stderr)
    prepared.check_returncode()
    context = json.loads(prepared.stdout)
    print(f"[{size}] ready in {time.perf_counter() - started:.0f} s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / f"gunicorn-{size}.log", "w")  # noqa: SIM115 (kept while it runs)
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "bench.floor:app",
            "-c",
            str(ROOT / "docker" / "gunicorn.conf.py"),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    started = {
        "size": size,
        "context": context,
        "port": port,
        "server": server,
        "log": log,
    }
    try:
        _wait_for(port)
        context["etag"] = _etag(port, context)
    except BaseException:
        stop_size(started)
        raise
    return started


def stop_size(started: dict) -> None:
    os.killpg(started["server"].pid, signal.SIGTERM)
    started["server"].wait(timeout=30)
    started["log"].close()


def median_of(rounds: list[dict]) -> dict:
    """One scenario's figures over its rounds: the median of each."""
    middle = {
        key: statistics.median(result[key] for result in rounds)
        for key in ("rps", "p50_ms", "p99_ms")
    }
    statuses: dict[str, int] = {}
    for result in rounds:
        for code, n in result["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    return {**rounds[0], **middle, "statuses": statuses, "rounds": len(rounds)}


def measure(started: list[dict], args) -> list[dict]:
    """Each scenario at every size in turn, round after round: the sizes are
    measured within the same minute, so that the machine's own drift (its
    floors move by a third from one minute to the next here) does not pass for
    a difference between sizes."""
    from bench.scenarios import SCENARIOS

    results: dict[int, dict] = {one["size"]: {} for one in started}
    floor = next(s for s in SCENARIOS if s.name == "one_query")

    def load(scenario, one, seconds: float) -> dict:
        spec = scenario.request(one["context"])
        spec.update(
            base_url=f"http://127.0.0.1:{one['port']}",
            seconds=seconds,
            concurrency=args.concurrency,
            # Card numbers no earlier run filed (a card filed again while
            # its request is open answers that request, not a new one).
            start=time.time_ns() // 1000 % 10**14,
        )
        return _load(spec)

    for scenario in chosen(args.scenarios):
        rounds: dict[int, list] = {one["size"]: [] for one in started}
        beside: dict[int, list] = {one["size"]: [] for one in started}
        for _ in range(args.rounds):
            for one in started:
                if scenario.target is not None and args.floor_seconds:
                    # The floor again, just before: the ratio of this minute.
                    beside[one["size"]].append(load(floor, one, args.floor_seconds))
                rounds[one["size"]].append(load(scenario, one, args.seconds))
        for one in started:
            size = one["size"]
            result = results[size][scenario.name] = median_of(rounds[size])
            result["queries"] = one["context"]["queries"][scenario.name]
            if beside[size]:
                result["floor_rps"] = median_of(beside[size])["rps"]
                # Each round against the floor just before it, then the median:
                # a round measured in a slow minute is judged with that minute.
                result["ratios_beside"] = [
                    one_round["rps"] / floor_round["rps"]
                    for one_round, floor_round in zip(
                        rounds[size], beside[size], strict=True
                    )
                ]
                result["ratio_beside"] = statistics.median(result["ratios_beside"])
            print(f"[{size}] {scenario.name}: {_line(result)}", flush=True)
    return [
        {
            "size": one["size"],
            "seeded": one["context"]["seeded"],
            "results": results[one["size"]],
        }
        for one in started
    ]


def chosen(names: list[str]) -> list:
    """The scenarios named, with the floors (all of them when none is named)."""
    from bench.scenarios import SCENARIOS

    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return [
        s
        for s in SCENARIOS
        if not names or s.name in names or s.name in ("bare", "one_query")
    ]


def _line(result: dict) -> str:
    return (
        f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, statuses {result['statuses']}"
    )


def table(runs: list[dict]) -> str:
    """The figures as a Markdown table, with the ratios the targets speak of."""
    from bench.scenarios import SCENARIOS

    sizes = [run["size"] for run in runs]
    lines = [
        "| scenario | size | req/s | p50 ms | p99 ms | queries | × one-query floor "
        "| floor just before, req/s | × that floor | target | p99 vs smallest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    first = runs[0]["results"]
    for scenario in [s for s in SCENARIOS if s.name in first]:
        for run in runs:
            result = run["results"][scenario.name]
            floor = run["results"]["one_query"]["rps"]
            ratio = result["rps"] / floor if floor else 0
            beside, ratio_beside = result.get("floor_rps"), ""
            if beside:
                ratio_beside = f"{result['ratio_beside']:.2f}"
            target = ""
            if scenario.target is not None:
                # Judged against the floor of the same minute where it was measured.
                judged = result["ratio_beside"] if beside else ratio
                met = "met" if judged >= scenario.target else "MISSED"
                target = f"≥ {scenario.target:.2f}: {met}"
            growth = result["p99_ms"] / first[scenario.name]["p99_ms"]
            lines.append(
                f"| {scenario.label} | {run['size']:,} | {result['rps']:.0f} "
                f"| {result['p50_ms']:.1f} | {result['p99_ms']:.1f} "
                f"| {result['queries']} | {ratio:.2f} "
                f"| {f'{beside:.0f}' if beside else ''} | {ratio_beside} | {target} "
                f"| {growth:.2f}{' (target ≤ 1.30)' if run['size'] != sizes[0] else ''} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each scenario (the median)"
    )
    parser.add_argument(
        "--floor-seconds",
        type=float,
        default=3,
        help="the one-query floor measured again before each scenario with a "
        "target, for the ratio of the same minute (0: not measured again)",
    )
    parser.add_argument("--fresh", action="store_true", help="seed the databases anew")
    parser.add_argument(
        "scenarios", nargs="*", help="names (default: all; the floors always)"
    )
    args = parser.parse_args()
    chosen(args.scenarios)  # an unknown name stops here, before the seeding
    started = []
    try:
        for size in args.sizes:
            started.append(start_size(size, args))
        runs = measure(started, args)
    finally:
        for one in started:
            stop_size(one)
    text = table(runs)
    print()
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(runs, indent=1))
    (OUT / f"results-{stamp}.md").write_text(text + "\n")
    print(f"\nwritten: {OUT / f'results-{stamp}.md'} and .json")


if __name__ == "__main__":
    main()
