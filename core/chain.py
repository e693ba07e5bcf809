"""Keyed hash chains: tamper evidence for every append-only table.

Each chained row carries ``chain`` (which chain it belongs to, e.g. ``scoring.pointsentry:12``
for branch 12's ledger), ``chain_seq`` (1, 2, 3 … within the chain) and ``chain_hash``:

    chain_hash = HMAC-SHA256(key, previous row's chain_hash | chain | chain_seq | the row's fields)

The key (``settings.LEDGER_HMAC_KEY``) is a server secret kept outside the database, and not
``SECRET_KEY``: someone who can edit the database but does not hold the key cannot recompute a
hash after changing a row, and a deleted or reordered row breaks the chain at that point.
``ChainHead`` keeps each chain's last sequence number and hash, so a row cut off the end is
noticed too, and its row is the lock that makes two writers to one chain take turns.

``python manage.py verify_ledger`` walks every chain (see :func:`verify`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

from core.models import Chained, ChainHead

__all__ = [
    "Broken",
    "ChainHead",
    "Chained",
    "append",
    "append_many",
    "canonical_json",
    "chained_models",
    "keyed_hash",
    "payload",
    "verify",
]


def _key() -> bytes:
    key = getattr(settings, "LEDGER_HMAC_KEY", "")
    if not key:
        raise ImproperlyConfigured("LEDGER_HMAC_KEY is not set (see README, 设置).")
    return key.encode("utf-8")


def keyed_hash(message: str) -> str:
    return hmac.new(_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _plain(field: models.Field, value):
    """A field's value as stable text: the same row always hashes the same, on SQLite and on
    PostgreSQL, before saving and after reading back."""
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        return f"{Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)):f}"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, list | dict):
        return value
    if hasattr(value, "name"):  # a FieldFile
        return value.name
    return str(value)


def payload(obj: models.Model, fields: Sequence[str] | None = None) -> str:
    """The row's hashed fields as canonical JSON (foreign keys by id). ``fields`` defaults to the
    model's ``HASHED``: a fixed list, so that a column added later never changes old hashes."""
    data = {}
    for name in fields if fields is not None else obj.hashed_fields():
        field = obj._meta.get_field(name)
        data[field.attname] = _plain(field, field.value_from_object(obj))
    return canonical_json(data)


def canonical_json(value) -> str:
    """JSON that is the same text for the same content: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _link(previous: str, chain: str, seq: int, content: str) -> str:
    return keyed_hash(f"{previous}|{chain}|{seq}|{content}")


def lock_head(chain: str) -> ChainHead:
    """The chain's head, locked until the end of the transaction (created on first use)."""
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        ChainHead.objects.bulk_create([ChainHead(chain=chain)], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(chain=chain)
    return head


def seal(obj: Chained, head: ChainHead) -> None:
    """Give ``obj`` the next link of ``head``'s chain and move the head on (in the database)."""
    obj.chain = head.chain
    obj.chain_seq = head.seq + 1
    obj.chain_hash = _link(head.hash, head.chain, obj.chain_seq, payload(obj))
    head.seq, head.hash = obj.chain_seq, obj.chain_hash
    ChainHead.objects.filter(pk=head.pk).update(seq=head.seq, hash=head.hash)


def append(obj: Chained) -> Chained:
    """Insert one row at the end of its chain (the same as ``obj.save()`` for a new row)."""
    obj.save()
    return obj


@transaction.atomic
def append_many(model: type[Chained], objs: Iterable[Chained], *, batch_size=1000) -> list:
    """Insert many rows, each at the end of its chain, with one lock and one head update per
    chain and a bulk INSERT: for imports and the demo, which write thousands of rows."""
    objs = list(objs)
    heads: dict[str, ChainHead] = {}
    for obj in objs:
        # A row may point at an object saved a moment ago (a log row at its declaration, bulk
        # inserted just before): bulk_create copies that object's new id into the foreign key
        # only as it inserts, after this hash would have been taken without it. Copy it now.
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        name = obj.chain_name()
        head = heads.get(name)
        if head is None:
            head = heads[name] = lock_head(name)
        obj.chain = head.chain
        obj.chain_seq = head.seq + 1
        obj.chain_hash = _link(head.hash, head.chain, obj.chain_seq, payload(obj))
        head.seq, head.hash = obj.chain_seq, obj.chain_hash
    for head in heads.values():
        ChainHead.objects.filter(pk=head.pk).update(seq=head.seq, hash=head.hash)
    return models.QuerySet(model).bulk_create(objs, batch_size=batch_size)


def chained_models() -> list[type[Chained]]:
    return [m for m in apps.get_models() if issubclass(m, Chained)]


def rechain(model, rows, *, chain: Callable[[models.Model], str], fields: Sequence[str]) -> None:
    """Chain rows that exist already, in the order given (the migrations that add the chains to
    a database made before them). Works on a migration's historical model: ``chain(row)`` names
    the row's chain and ``fields`` are the hashed fields, both as the model declares them."""
    heads: dict[str, ChainHead] = {}
    for obj in rows:
        name = chain(obj)
        head = heads.get(name)
        if head is None:
            head = heads[name] = ChainHead.objects.get_or_create(chain=name)[0]
        seq = head.seq + 1
        digest = _link(head.hash, name, seq, payload(obj, fields))
        models.QuerySet(model).filter(pk=obj.pk).update(
            chain=name, chain_seq=seq, chain_hash=digest
        )
        head.seq, head.hash = seq, digest
    for head in heads.values():
        head.save()


# --- Verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """The first link of a chain that does not hold, in words."""

    model: str
    chain: str
    seq: int
    pk: int | None
    problem: str

    def __str__(self):
        where = f"{self.model} 链 {self.chain} 第 {self.seq} 条"
        if self.pk is not None:
            where += f"（id={self.pk}）"
        return f"{where}：{self.problem}"


def _walk(model: type[Chained], chain: str, head: ChainHead | None) -> tuple[int, Broken | None]:
    previous, expected = "", 1
    rows: Iterator[Chained] = (
        models.QuerySet(model).filter(chain=chain).order_by("chain_seq").iterator(chunk_size=2000)
    )
    count = 0
    label = model._meta.label
    for obj in rows:
        count += 1
        if obj.chain_seq != expected:
            problem = f"序号应为 {expected}，实为 {obj.chain_seq}（有记录被删除或插入）"
            return count, Broken(label, chain, expected, obj.pk, problem)
        if obj.chain_name() != chain:
            return count, Broken(label, chain, expected, obj.pk, "记录被移到了其他链上")
        if _link(previous, chain, obj.chain_seq, payload(obj)) != obj.chain_hash:
            return count, Broken(label, chain, expected, obj.pk, "内容与哈希不符（记录被改动）")
        previous, expected = obj.chain_hash, expected + 1
    if head is None or head.seq != expected - 1 or head.hash != previous:
        problem = "链末端与记录不符（末尾的记录被删除，或链末端被改动）"
        return count, Broken(label, chain, expected - 1, None, problem)
    return count, None


def verify(models_: Iterable[type[Chained]] | None = None) -> tuple[int, list[Broken]]:
    """Walk every chain of every chained table: (rows checked, the first broken link of each
    broken chain). Read-only."""
    checked, broken = 0, []
    heads = {head.chain: head for head in ChainHead.objects.all()}
    for model in models_ or chained_models():
        prefix = model._meta.label_lower + ":"
        names = set(models.QuerySet(model).values_list("chain", flat=True).distinct())
        names |= {name for name in heads if name.startswith(prefix)}
        for name in sorted(names):
            count, problem = _walk(model, name, heads.get(name))
            checked += count
            if problem is not None:
                broken.append(problem)
    return checked, broken
