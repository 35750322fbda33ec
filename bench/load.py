"""The load: run as its own process (`python -m bench.load`, a scenario as JSON
on standard input, the figures as JSON on standard output), so that the client's
work is not counted in the server's processes.

Each of `concurrency` threads keeps one HTTP/1.1 connection open and sends the
scenario's request again as soon as the previous answer is read, for `seconds`
(after a short warm-up that is not counted). `{n}` in the path or body becomes a
number unique in the run (a new card for each filing)."""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

WARM_UP_SECONDS = 1.0


def _worker(spec, deadline, warm_until, counter, results, lock):
    url = urlsplit(spec["base_url"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    latencies, statuses = [], {}
    headers = dict(spec["headers"])
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        with lock:
            counter[0] += 1
            n = counter[0]
        path = spec["path"].replace("{n}", str(n))
        body = spec.get("body")
        if body is not None:
            body = body.replace("{n}", f"{n:016d}").encode()
        started = time.perf_counter()
        try:
            connection.request(spec["method"], path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            # As the page's script does: ask again with the version last seen.
            if spec.get("follow_etag") and response.getheader("ETag"):
                headers["If-None-Match"] = response.getheader("ETag")
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()
            status = 0
        elapsed = time.perf_counter() - started
        if started >= warm_until:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1
    connection.close()
    with lock:
        results["latencies"].extend(latencies)
        for status, count in statuses.items():
            results["statuses"][status] = results["statuses"].get(status, 0) + count


def drive(spec: dict) -> dict:
    start = time.perf_counter()
    warm_until = start + WARM_UP_SECONDS
    deadline = warm_until + spec["seconds"]
    results = {"latencies": [], "statuses": {}}
    counter, lock = [spec.get("start", 0)], threading.Lock()
    threads = [
        threading.Thread(
            target=_worker, args=(spec, deadline, warm_until, counter, results, lock)
        )
        for _ in range(spec["concurrency"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(results["latencies"])
    count = len(latencies)

    def percentile(fraction):
        if not latencies:
            return None
        return latencies[min(count - 1, int(fraction * count))] * 1000

    return {
        "requests": count,
        "seconds": spec["seconds"],
        "rps": count / spec["seconds"],
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "statuses": {str(k): v for k, v in sorted(results["statuses"].items())},
    }


if __name__ == "__main__":
    json.dump(drive(json.load(sys.stdin)), sys.stdout)
