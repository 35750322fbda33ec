"""The container build and the compose file: what can be checked without a Docker
engine (CI also runs `docker-compose -f docker/compose.yaml config -q`)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

DOCKER = Path(settings.BASE_DIR) / "docker"
DOCKERFILE = (DOCKER / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
ENV_EXAMPLE = (DOCKER / ".env.example").read_text()


def instructions(name: str) -> list[str]:
    """The arguments of every `name` instruction (continuation lines joined)."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1].strip() if " " in line.strip() else ""
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ") or line.strip() == name
    ]


def test_the_image_is_built_in_stages_on_python_313_slim():
    stages = instructions("FROM")
    assert len(stages) >= 2
    assert all(stage.startswith("python:3.13-slim") for stage in stages)
    assert any("--from=builder" in copy for copy in instructions("COPY"))


def test_the_image_runs_as_a_user_that_is_not_root():
    users = instructions("USER")
    assert users, "no USER instruction"
    assert users[-1] not in {"root", "0", "0:0"}
    # The last USER comes before the command the container runs.
    assert DOCKERFILE.rindex("\nUSER ") < DOCKERFILE.rindex("\nCMD ")


def test_static_files_are_collected_and_gunicorn_serves_with_its_config():
    assert any("collectstatic" in run for run in instructions("RUN"))
    cmd = instructions("CMD")[-1]
    assert "gunicorn" in cmd and "docker/gunicorn.conf.py" in cmd
    assert "/healthz" in instructions("HEALTHCHECK")[-1]


def test_no_secret_is_baked_into_the_image():
    for env in instructions("ENV") + instructions("ARG"):
        assert not re.search(r"(SECRET_KEY|PASSWORD|TOKEN)\s*=", env), env
    # The build-time key is set for collectstatic only, not kept in the image.
    assert "ENV SECRET_KEY" not in DOCKERFILE
    dockerignore = (Path(settings.BASE_DIR) / ".dockerignore").read_text().split()
    assert ".env" in dockerignore and "docker/.env" in dockerignore


def test_compose_defines_the_services_with_health_checks():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_web_and_workers_scale_and_beat_runs_exactly_once():
    services = COMPOSE["services"]
    # No fixed host port: a range, one port per web replica.
    assert services["web"]["ports"] == ["8000-8010:8000"]
    for name in ("web", "worker"):
        assert "container_name" not in services[name]
    beats = [s for s in services.values() if " beat" in " ".join(s.get("command", []))]
    assert len(beats) == 1
    assert "container_name" in services["beat"]  # `--scale beat=2` is refused


def test_redis_keeps_queued_messages_through_a_crash():
    conf = (DOCKER / "redis.conf").read_text().splitlines()
    assert "appendonly yes" in conf
    assert "appendfsync everysec" in conf
    assert "maxmemory-policy noeviction" in conf
    assert (
        "./redis.conf:/usr/local/etc/redis/redis.conf:ro"
        in (COMPOSE["services"]["redis"]["volumes"])
    )


def test_the_example_environment_documents_the_essential_settings():
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.M))
    assert {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_VISIBILITY_TIMEOUT",
        "EMAIL_BACKEND",
        "WEB_CONCURRENCY",
        "FORWARDED_ALLOW_IPS",
        "LOG_FORMAT",
    } <= names
    assert "DEBUG=0" in ENV_EXAMPLE


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="needs docker-compose")
def test_docker_compose_accepts_the_file():
    result = subprocess.run(
        ["docker-compose", "-f", str(DOCKER / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_benchmark_runs_under_the_production_planner_settings():
    from bench.run import POSTGRES_SETTINGS

    command = COMPOSE["services"]["postgres"]["command"]
    assert command[0] == "postgres"
    settings_given = dict(
        arg.split("=", 1)
        for flag, arg in zip(command[1::2], command[2::2], strict=True)
        if flag == "-c"
    )
    assert settings_given == POSTGRES_SETTINGS
