"""``/healthz`` for a load balancer: 200 when this app server can reach its database and every
migration is applied, 503 otherwise. No login, no session, nothing about the data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from core.web import methods


@login_not_required
@never_cache
@methods("GET", "HEAD")
def healthz(request):
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # any failure means "take me out of the pool"
        return JsonResponse({"ok": False, "database": type(error).__name__}, status=503)
    if pending:
        return JsonResponse({"ok": False, "pending_migrations": len(pending)}, status=503)
    return JsonResponse({"ok": True})
