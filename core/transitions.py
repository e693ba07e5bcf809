"""The one way a status changes: a declared transition table per model, a conditional UPDATE
(``… WHERE status = old``) so that two people clicking at once cannot both succeed, and a log row
(who, when, from, to, why) written in the same transaction.

A stateful model declares its table::

    class Notice(models.Model):
        workflow = Workflow(
            log="evaluations.NoticeLog",  # a StatusLog subclass, its FK to Notice named in SUBJECT
            moves={
                "approve": ("审定", [DRAFT], APPROVED),
                "publish": ("发布", [APPROVED], PUBLISHED),
            },
        )

and a service moves it with ``transition(notice, "publish", by=user, reason=…, **fields)``. A
move that the table does not allow from the current status is refused with a Chinese message that
names the current status; nothing is written. "0 rows updated" also means that someone else got
there first, and says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.models import Chained

__all__ = [
    "Move",
    "StatusLog",
    "Step",
    "TransitionRefused",
    "Workflow",
    "record_created",
    "record_created_many",
    "transition",
    "transition_many",
]


class TransitionRefused(ValidationError):
    """A move the transition table does not allow from the object's current status."""


@dataclass(frozen=True)
class Move:
    label: str  # what the user did, for messages: "审议通过", "发布"
    sources: tuple[str, ...]
    target: str
    # The message when refused, if the general one does not say it best ("{current}": the
    # current status's label).
    refused: str = ""


class Workflow:
    """A model's transition table: action → (label, from statuses, to status[, message when
    refused])."""

    def __init__(self, *, log: str, moves: dict[str, tuple]):
        self.log_label = log
        self.moves = {
            action: Move(label, tuple(str(s) for s in sources), str(target), *rest)
            for action, (label, sources, target, *rest) in moves.items()
        }

    @property
    def log_model(self) -> type[StatusLog]:
        return apps.get_model(self.log_label)

    def allowed(self, action: str, status: str) -> bool:
        return status in self.moves[action].sources


class StatusLog(Chained):
    """Abstract: one status change of one object. A subclass adds the foreign key to the object
    and names it in ``SUBJECT``, and says which chain it belongs to (``chain_scope``: the
    object's branch, normally); the rows are hash-chained and append-only."""

    SUBJECT = "subject"

    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12)
    action = models.CharField("操作", max_length=20, blank=True)
    reason = models.CharField("说明", max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人"
    )
    at = models.DateTimeField("时间", default=timezone.now)

    immutable_message = "状态记录只能追加，不能修改、不能删除。"
    LOG_HASHED = ("from_status", "to_status", "action", "reason", "by", "at")
    EXTRA_HASHED: tuple[str, ...] = ()  # a subclass's own fields (a declaration's points)

    class Meta(Chained.Meta):
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{getattr(self, self.SUBJECT)} → {self.to_status_label}"

    @classmethod
    def hashed_fields(cls) -> tuple[str, ...]:
        return (cls.SUBJECT, *cls.LOG_HASHED, *cls.EXTRA_HASHED)

    def _status_label(self, value: str) -> str:
        return _status_label(self._meta.get_field(self.SUBJECT).related_model, value)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)

    @property
    def from_status_label(self) -> str:
        return self._status_label(self.from_status) if self.from_status else ""


def _status_label(model, value) -> str:
    return dict(model._meta.get_field("status").choices).get(value, value)


def _refused(model, move: Move, current) -> TransitionRefused:
    label = _status_label(model, current)
    message = (
        move.refused.format(current=label)
        if move.refused
        else (f"当前状态为“{label}”，不能{move.label}（可能刚被他人处理，请刷新页面后再看）。")
    )
    return TransitionRefused(message, code="transition")


@transaction.atomic
def transition(obj, action: str, *, by, reason: str = "", log_fields=None, **fields) -> StatusLog:
    """Move ``obj`` by ``action`` of its model's workflow, setting ``fields`` in the same UPDATE;
    write the log row; refresh ``obj``. Refused (TransitionRefused, nothing written) when the
    current status does not allow the move."""
    model = type(obj)
    workflow: Workflow = model.workflow
    move = workflow.moves[action]
    manager = model._base_manager
    for source in move.sources:
        if manager.filter(pk=obj.pk, status=source).update(status=move.target, **fields):
            break
    else:
        current = manager.filter(pk=obj.pk).values_list("status", flat=True).first()
        raise _refused(model, move, current)
    log_model = workflow.log_model
    log = log_model(
        **{log_model.SUBJECT: obj},
        from_status=source,
        to_status=move.target,
        action=action,
        reason=reason,
        by=by,
        **(log_fields or {}),
    )
    log.save()
    obj.refresh_from_db()
    return log


def record_created(obj, *, by, reason: str = "", log_fields=None) -> StatusLog:
    """The first log row of a new object: from nothing to its initial status."""
    log_model = type(obj).workflow.log_model
    log = log_model(
        **{log_model.SUBJECT: obj},
        from_status="",
        to_status=obj.status,
        action="create",
        reason=reason,
        by=by,
        **(log_fields or {}),
    )
    log.save()
    return log


# --- Many at once ------------------------------------------------------------------------------
# A committee approves a month's forty declarations with one click, and the demo writes a
# county's year: the same moves and log rows as above, with one UPDATE per status and one bulk
# insert of the log rows (chained like single ones, core.chain.append_many) instead of a
# round trip per object.

# Objects per UPDATE … WHERE pk IN (…): under SQLite's limit on query parameters.
BATCH = 900


@dataclass
class Step:
    """One object's part in a batch: who moved it, why, when (default: now), and the log row's
    own fields (a declaration's points)."""

    obj: models.Model
    by: object
    reason: str = ""
    at: datetime.datetime | None = None
    log_fields: dict = field(default_factory=dict)


def _log_rows(log_model, steps: Sequence[Step], action: str, sources: dict, target=None) -> list:
    rows = []
    for step in steps:
        when = {"at": step.at} if step.at is not None else {}
        rows.append(
            log_model(
                **{log_model.SUBJECT: step.obj},
                from_status=sources.get(step.obj.pk, ""),
                to_status=target or step.obj.status,
                action=action,
                reason=step.reason,
                by=step.by,
                **when,
                **step.log_fields,
            )
        )
    return rows


@transaction.atomic
def transition_many(model, action: str, steps: Sequence[Step], **fields) -> list[StatusLog]:
    """``transition()`` for many objects of ``model`` that take the same move with the same
    ``fields``: all move or none (TransitionRefused, naming the first one's status, when any is
    not in a status the move starts from, or someone else moved it meanwhile). The objects in
    ``steps`` get their new status and ``fields`` in memory too."""
    if not steps:
        return []
    move = model.workflow.moves[action]
    manager = model._base_manager
    sources: dict = {}
    for start in range(0, len(steps), BATCH):
        pks = [step.obj.pk for step in steps[start : start + BATCH]]
        current = dict(manager.filter(pk__in=pks).values_list("pk", "status"))
        for pk in pks:
            if current.get(pk) not in move.sources:
                raise _refused(model, move, current.get(pk))
        for source in move.sources:
            group = [pk for pk in pks if current[pk] == source]
            if group and manager.filter(pk__in=group, status=source).update(
                status=move.target, **fields
            ) != len(group):
                raise _refused(model, move, source)
        sources.update(current)
    for step in steps:
        step.obj.status = move.target
        for name, value in fields.items():
            setattr(step.obj, name, value)
    log_model = model.workflow.log_model
    return log_model.objects.bulk_create(_log_rows(log_model, steps, action, sources, move.target))


def record_created_many(model, steps: Sequence[Step]) -> list[StatusLog]:
    """``record_created()`` for many new objects of ``model`` (saved already): one bulk insert."""
    log_model = model.workflow.log_model
    return log_model.objects.bulk_create(_log_rows(log_model, steps, "create", {}))
