"""Processes the fault tests start and stop themselves: Redis and PostgreSQL on a
spare loopback port, Celery workers and gunicorn. Each helper knows the PIDs it
started and stops exactly those (never by name)."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

REDIS_SERVER = "/usr/bin/redis-server"
BASE_DIR = Path(settings.BASE_DIR)


def pg_bin_dir() -> Path | None:
    """The newest PostgreSQL binaries installed, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 60, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_pid(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout=20) -> None:
    """Stop one process we started, by its PID; kill it if it does not stop."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _scratch_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class RedisServer:
    """A Redis with the production persistence settings (AOF fsync every second,
    no eviction) on a spare port, its data in a scratch directory."""

    def __init__(self):
        self.port = free_port()
        self.dir = _scratch_dir("ops-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                "--save",
                "",
                "--daemonize",
                "no",
            ],  # fmt: skip
            stdout=(self.dir / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        assert wait_for(lambda: port_open(self.port), timeout=20), self.log()

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        stop_pid(self.process)

    def log(self) -> str:
        return (self.dir / "redis.log").read_text(errors="replace")

    def cleanup(self) -> None:
        stop_pid(self.process, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL cluster of its own on a spare port (trust authentication,
    loopback only). As root it runs as the postgres user (runuser)."""

    def __init__(self):
        self.bin = pg_bin_dir()
        self.port = free_port()
        self.root = _scratch_dir("ops-pg-")
        self.data = self.root / "data"
        self.log_file = self.root / "postgres.log"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, check=check, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
            "-U", "postgres", "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.start()
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
            "-U", "postgres", "helpdesk",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/helpdesk"

    @property
    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_file),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as in a crash or a failover."""
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
            "-t", "60", "stop",
        )  # fmt: skip

    def log(self) -> str:
        return (
            self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        )

    def cleanup(self) -> None:
        pid = self.pid
        if pid is not None:
            try:
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown of our postmaster
                wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=15)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def start_worker(*, env: dict, log_path: Path, hostname: str) -> subprocess.Popen:
    """A Celery worker process (one task at a time, one prefetched)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.ops.worker_app",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname={hostname}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],  # fmt: skip
        cwd=BASE_DIR,
        env=env,
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
    )
