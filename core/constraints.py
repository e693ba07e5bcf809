"""Every text column's maximum length, enforced by the database itself.

PostgreSQL refuses a value longer than a VARCHAR(n); SQLite stores anything. So that the same
limit holds on both — for the pages, the imports, a script or a hand-made SQL statement — every
``CharField`` of the project's own models also gets a CHECK constraint ``length(col) <= n``
(added when the model class is prepared, so a new field gets one without anyone remembering;
makemigrations sees them like any constraint in Meta).
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# The apps whose models get the constraints (not Django's own, nor third parties').
PROJECT_APPS = {"core", "members", "scoring", "evaluations", "oversight", "rewards", "posts"}


def length_constraint(model: type[models.Model], field: models.CharField) -> models.CheckConstraint:
    name = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_max_length"
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field.name), field.max_length), name=name[:63]
    )


def add_length_constraints(sender: type[models.Model], **kwargs) -> None:
    """class_prepared receiver: the length CHECK of each CharField the model declares itself.
    Historical models built by migrations (module ``__fake__``) have theirs in their state."""
    meta = sender._meta
    if meta.app_label not in PROJECT_APPS or meta.abstract or meta.proxy:
        return
    if sender.__module__ == "__fake__":
        return
    existing = {constraint.name for constraint in meta.constraints}
    added = []
    for field in meta.local_concrete_fields:
        if isinstance(field, models.CharField) and field.max_length:
            constraint = length_constraint(sender, field)
            if constraint.name not in existing:
                added.append(constraint)
    if added:
        meta.constraints = [*meta.constraints, *added]
        # Migrations read a model's options from original_attrs (only those declared in Meta).
        meta.original_attrs["constraints"] = meta.constraints
