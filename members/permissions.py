"""Who may do what, checked inside the services: the same rules the views apply, so that a
script, a management command or a future API cannot do what the pages forbid.

Each ``require_*`` raises PermissionDenied (Chinese message) unless ``by`` — the user a service
acts for — holds the role and the scope the step needs. The rules themselves are the methods of
``members.models.Official``. A superuser (the county's system administrator, and the inactive
``system`` user that management commands act as) may do everything.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from members.models import Branch, County, Official

SYSTEM_USERNAME = "system"
NOT_ALLOWED = "您没有权限进行此操作。"


def official_of(by) -> Official | None:
    return getattr(by, "official", None) if by is not None else None


def _require(by, allowed) -> None:
    if by is None:
        raise PermissionDenied("未指明操作人。")
    if getattr(by, "is_superuser", False):
        return
    official = official_of(by)
    if official is None or not allowed(official):
        raise PermissionDenied(NOT_ALLOWED)


def require_roster_manager(by, branch: Branch) -> None:
    """Adding, editing, moving members: the branch's secretary or the county admin."""
    _require(by, lambda o: o.can_manage_roster(branch))


def require_points_clerk(by, branch: Branch) -> None:
    """Declarations, review, deductions, the appraisal: the branch's secretary or assessor."""
    _require(by, lambda o: o.can_enter_points(branch))


def require_secretary(by, branch: Branch) -> None:
    """Clearing items, closing the month, corrections, rules adoption, the meetings, notices."""
    _require(by, lambda o: o.is_secretary_of(branch))


def require_township_official(by, branch: Branch) -> None:
    """Approving or sending back a period, deciding an appeal: the branch's township official."""
    _require(by, lambda o: o.is_township_official_of(branch))


def require_county_admin(by, county: County | None = None) -> None:
    """The year's rule set: a county admin (of ``county`` when one is named)."""
    _require(by, lambda o: o.is_county and (county is None or o.county_id == county.pk))


def system_user():
    """The user that management commands (loading the default rules, the demo) act as: an
    inactive superuser that cannot log in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "is_superuser": True, "first_name": "系统"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
