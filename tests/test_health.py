"""/healthz: what a load balancer asks each app server before sending it traffic."""

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_a_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert "no-cache" in response["Cache-Control"]
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


def test_healthz_answers_503_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"ok": False, "pending_migrations": 1}


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise ConnectionError("database down")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["ok"] is False
