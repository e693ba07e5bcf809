"""Walking the hash chains and recording the result (``manage.py verify_ledger``; the county
admin's overview shows the last run)."""

from __future__ import annotations

from core import chain
from core.models import LedgerCheck


def verify_and_record() -> LedgerCheck:
    """Verify every chain (core.chain.verify) and keep the result as a LedgerCheck row."""
    rows, broken = chain.verify()
    return LedgerCheck.objects.create(ok=not broken, rows=rows, problems=[str(b) for b in broken])


def last_check() -> LedgerCheck | None:
    return LedgerCheck.objects.order_by("-at", "-pk").first()


def last_passed() -> LedgerCheck | None:
    return LedgerCheck.objects.filter(ok=True).order_by("-at", "-pk").first()
