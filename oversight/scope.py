"""The part of the organisation a dashboard, a list or a ranking covers."""

from __future__ import annotations

from dataclasses import dataclass

from members.models import Branch, City, County, Township

# --- Scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One city, one county, one township, or one branch — never "everything": a database may
    hold many counties (the province scale), and a county admin sees their own."""

    county: County | None = None
    township: Township | None = None
    branch: Branch | None = None
    city: City | None = None

    def __post_init__(self):
        if all(part is None for part in (self.city, self.county, self.township, self.branch)):
            raise ValueError("a scope names a city, a county, a township or a branch")

    def on(self, path: str = "branch") -> dict:
        """Filter keywords for a model reached through ``path`` (a Branch foreign key)."""
        if self.branch is not None:
            return {path: self.branch.pk}
        if self.township is not None:
            return {f"{path}__township": self.township.pk}
        if self.county is not None:
            return {f"{path}__township__county": self.county.pk}
        return {f"{path}__township__county__city": self.city.pk}

    def branches(self):
        if self.branch is not None:
            return Branch.objects.filter(pk=self.branch.pk)
        if self.township is not None:
            return Branch.objects.filter(township=self.township)
        if self.county is not None:
            return Branch.objects.filter(township__county=self.county)
        return Branch.objects.filter(township__county__city=self.city)

    def townships(self):
        if self.township is not None:
            return Township.objects.filter(pk=self.township.pk)
        if self.branch is not None:
            return Township.objects.filter(pk=self.branch.township_id)
        if self.county is not None:
            return Township.objects.filter(county=self.county)
        return Township.objects.filter(county__city=self.city)

    @property
    def name(self) -> str:
        if self.branch is not None:
            return self.branch.name
        if self.township is not None:
            return self.township.name
        if self.county is not None:
            return self.county.name
        return self.city.name


def branches_in(scope: Scope):
    return (
        scope.branches()
        .select_related("township")
        .order_by("township__position", "township__name", "position", "name", "pk")
    )
