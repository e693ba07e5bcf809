"""What an operator notices when starting the project with the production settings.

Each case runs ``manage.py`` (or a short ``python -c``) in a subprocess with a controlled
environment: the real ``lanxian_points.settings`` module, with SECRET_KEY, DEBUG and DATABASE_URL
removed unless the case sets them. The settings module also reads ``<project>/.env`` (without
overriding the environment); a developer's local .env could therefore change what "unset" means,
so the cases that rely on an unset variable skip when that file exists.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANAGE_PY = PROJECT_ROOT / "manage.py"
DOTENV = PROJECT_ROOT / ".env"

needs_no_dotenv = pytest.mark.skipif(
    DOTENV.exists(), reason=f"{DOTENV} exists and may set the variables this case leaves unset"
)


def _environment(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"):
        env.pop(name, None)
    # Variables tests/settings.py sets for the in-process test run must not leak into the
    # subprocess, which checks the production defaults.
    env.pop("SECURE_SSL_REDIRECT", None)
    env["DJANGO_SETTINGS_MODULE"] = "lanxian_points.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(overrides)
    return env


def _run(args: list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=_environment(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return _run([str(MANAGE_PY), *args], **overrides)


def _settings_as_json(**overrides: str) -> dict:
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "print(json.dumps({\n"
        "    'DATABASES': settings.DATABASES,\n"
        "    'LANGUAGE_CODE': settings.LANGUAGE_CODE,\n"
        "    'TIME_ZONE': settings.TIME_ZONE,\n"
        "    'USE_TZ': settings.USE_TZ,\n"
        "    'CACHES': settings.CACHES,\n"
        "}, default=str))\n"
    )
    overrides.setdefault("SECRET_KEY", _random_key())
    result = _run(["-c", code], **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _random_key() -> str:
    return secrets.token_urlsafe(64)  # ~86 characters, well over Django's 50-character minimum


@needs_no_dotenv
def test_production_refuses_to_start_without_secret_key():
    result = _manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    # The message tells the operator what to do, not just what is wrong.
    assert "environment variable" in result.stderr
    assert "DEBUG=1" in result.stderr


def test_empty_secret_key_is_refused_too():
    # `SECRET_KEY=` in a unit file or .env is the same mistake as leaving it out.
    result = _manage("check", SECRET_KEY="", DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@needs_no_dotenv
def test_debug_starts_without_secret_key():
    result = _manage("check", DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_passes_with_production_defaults():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=_random_key(),
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_flags_a_deployment_that_turns_https_off():
    # The check above is meaningful only if the deploy checks still see the HTTPS settings:
    # an operator who switches the redirect off is warned.
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=_random_key(),
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
        SECURE_SSL_REDIRECT="0",
    )

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_sqlite_database_url_gets_immediate_transactions_and_wal():
    db = _settings_as_json(DATABASE_URL="sqlite:////tmp/x.sqlite3")["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == "/tmp/x.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    init_command = db["OPTIONS"]["init_command"].replace(" ", "").lower()
    assert "journal_mode=wal" in init_command
    assert "foreign_keys=on" in init_command


@needs_no_dotenv
def test_sqlite_is_the_default_database():
    db = _settings_as_json()["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]) == PROJECT_ROOT / "db.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgres_database_url_gets_postgresql():
    db = _settings_as_json(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")["DATABASES"][
        "default"
    ]

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "x"
    assert db["HOST"] == "127.0.0.1"
    assert str(db["PORT"]) == "5432"
    assert db["USER"] == "postgres"
    # The SQLite-only options must not leak into the PostgreSQL configuration.
    assert "transaction_mode" not in db.get("OPTIONS", {})
    assert "init_command" not in db.get("OPTIONS", {})
    assert db["CONN_HEALTH_CHECKS"] is True


def test_language_and_time_zone_are_chinese():
    values = _settings_as_json()

    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert values["USE_TZ"] is True


@pytest.mark.django_db(transaction=True)
def test_sqlite_connection_uses_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific: the test database is not SQLite")

    # The in-memory test database cannot use WAL, but the transaction mode and the per-connection
    # pragmas from settings are applied to it as they are to the real file.
    assert connection.transaction_mode == "IMMEDIATE"
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1")
    assert any(q["sql"].upper() == "BEGIN IMMEDIATE" for q in queries.captured_queries), [
        q["sql"] for q in queries.captured_queries
    ]

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL


def test_redis_url_gives_every_app_server_the_same_cache():
    shared = _settings_as_json(REDIS_URL="redis://127.0.0.1:6379/3")["CACHES"]["default"]
    assert shared["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["LOCATION"] == "redis://127.0.0.1:6379/3"
    local = _settings_as_json(REDIS_URL="")["CACHES"]["default"]
    assert local["BACKEND"].endswith("LocMemCache")
