"""Settings for the test suite: production settings with a throwaway key and no HTTPS redirect."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LEDGER_HMAC_KEY", "tests-only-ledger-key")

from lanxian_points.settings import *  # noqa: F403

# The suite tests the demo and the benchmark's measuring code: their apps are installed whatever
# DEBUG and LANXIAN_DEVTOOLS say (set here, not in the environment, so the subprocesses of
# test_settings.py still see the production defaults).
DEVTOOLS = True
INSTALLED_APPS = [*INSTALLED_APPS, *(a for a in ("demo", "devtools") if a not in INSTALLED_APPS)]  # noqa: F405

# Hashing is not what the tests test; the fast hasher keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the concurrency tests open real second connections, which an in-memory
    # database shares through SQLite's shared cache, with locking unlike production's.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("TEST_SQLITE_NAME") or str(BASE_DIR / ".test-db.sqlite3")  # noqa: F405
    }
