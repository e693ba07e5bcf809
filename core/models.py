"""The tables of the infrastructure: hash-chain heads, verification runs, one-time form
submissions; and the abstract base of every chained, append-only table (see core.chain)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class ChainHead(models.Model):
    """The end of one chain: its last sequence number and hash (and the lock for appending)."""

    chain = models.CharField(max_length=80, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "哈希链末端"

    def __str__(self):
        return f"{self.chain} #{self.seq}"


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses the bulk ways of changing rows: the manager of every ``Chained`` model."""

    def update(self, **kwargs):
        raise TypeError(self.model.immutable_message)

    def delete(self):
        raise TypeError(self.model.immutable_message)

    def bulk_create(self, objs, batch_size=None, **kwargs):
        """Bulk inserts are chained like single ones (imports and the demo write thousands)."""
        if kwargs:
            raise TypeError("追加记录的批量写入不支持冲突处理选项。")
        from core.chain import append_many

        with transaction.atomic(using=self.db):
            return append_many(self.model, objs, batch_size=batch_size or 1000)


class Chained(models.Model):
    """Abstract base of an append-only, hash-chained table.

    A subclass says which chain a row belongs to with ``chain_scope()`` (usually its branch's
    id). Rows are chained when first saved (``save()`` of a new row, or :func:`append_many` for a
    bulk insert); a saved row is never changed or deleted: ``save()`` of an existing row and
    ``delete()`` raise, and the queryset refuses ``update()`` and ``delete()``.
    """

    chain = models.CharField(max_length=80, editable=False)
    chain_seq = models.PositiveBigIntegerField(editable=False)
    chain_hash = models.CharField(max_length=64, editable=False)

    immutable_message = "该记录只能追加，不能修改、不能删除。"
    # The fields the keyed hash covers (core.chain.payload): a fixed list per table, so that a
    # column added later never changes an old row's hash.
    HASHED: tuple[str, ...] = ()

    # Inherited by every subclass (a subclass with its own queryset derives it from this one).
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "chain_seq"], name="%(app_label)s_%(class)s_chain_seq_unique"
            )
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError(self.immutable_message)
        from core.chain import lock_head, seal

        with transaction.atomic():
            seal(self, lock_head(self.chain_name()))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(self.immutable_message)

    def chain_scope(self) -> str:
        raise NotImplementedError

    @classmethod
    def hashed_fields(cls) -> tuple[str, ...]:
        return cls.HASHED

    def chain_name(self) -> str:
        return f"{self._meta.label_lower}:{self.chain_scope()}"


class LedgerCheck(models.Model):
    """One run of ``manage.py verify_ledger``: the county admin's page shows the last one."""

    at = models.DateTimeField("核验时间", default=timezone.now)
    ok = models.BooleanField("全部一致")
    rows = models.PositiveBigIntegerField("核验记录数")
    problems = models.JSONField("问题", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账核验记录"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {'一致' if self.ok else '发现问题'}"


class Submission(models.Model):
    """A form's one-time key, used: a second POST with the same key (a double click, a retry on a
    bad connection) gets the first one's result instead of creating a second row."""

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=300)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "表单提交记录"

    def __str__(self):
        return f"{self.key} {self.path}"


def new_submission_key() -> str:
    return str(uuid.uuid4())
