from django.db import OperationalError, connection


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] is True


def test_readyz_fails_when_the_database_is_unreachable(client, db, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "ensure_connection", refuse)
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] is False


def test_readyz_fails_when_the_configured_broker_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False}
