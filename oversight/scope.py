"""The part of the organisation a dashboard, a list or a ranking covers."""

from __future__ import annotations

from dataclasses import dataclass

from members.models import Branch, County, Township

# --- Scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One county, one township, or one branch — never "everything": a database may hold many
    counties (the province scale), and a county admin sees their own."""

    county: County | None = None
    township: Township | None = None
    branch: Branch | None = None

    def __post_init__(self):
        if self.county is None and self.township is None and self.branch is None:
            raise ValueError("a scope names a county, a township or a branch")

    def on(self, path: str = "branch") -> dict:
        """Filter keywords for a model reached through ``path`` (a Branch foreign key)."""
        if self.branch is not None:
            return {path: self.branch.pk}
        if self.township is not None:
            return {f"{path}__township": self.township.pk}
        return {f"{path}__township__county": self.county.pk}

    def branches(self):
        if self.branch is not None:
            return Branch.objects.filter(pk=self.branch.pk)
        if self.township is not None:
            return Branch.objects.filter(township=self.township)
        return Branch.objects.filter(township__county=self.county)

    def townships(self):
        if self.township is not None:
            return Township.objects.filter(pk=self.township.pk)
        if self.branch is not None:
            return Township.objects.filter(pk=self.branch.township_id)
        return Township.objects.filter(county=self.county)

    @property
    def name(self) -> str:
        if self.branch is not None:
            return self.branch.name
        if self.township is not None:
            return self.township.name
        return self.county.name


def branches_in(scope: Scope):
    return (
        scope.branches()
        .select_related("township")
        .order_by("township__position", "township__name", "position", "name", "pk")
    )
