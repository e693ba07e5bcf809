"""Scoped look-ups: the one way a view fetches an organisation object for the current user.

Anything outside the user's city, county, township or branch answers 404 — not 403 — so the
existence of another village's members is not revealed, on GET and POST alike.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from members.models import Branch, City, County, Member, Official, Township


def official_of(request) -> Official:
    official = getattr(request.user, "official", None)
    if official is None:
        raise Http404("当前账号未分配工作角色。")
    return official


def require_role(request, *roles: str) -> Official:
    official = official_of(request)
    if official.role not in roles:
        raise Http404
    return official


def get_city(request) -> City:
    """The city admin's own city; everyone else gets 404."""
    return require_role(request, Official.Role.CITY).city


def get_county(request, pk=None) -> County:
    """Without ``pk``: the county admin's own county (a database may hold several). With one:
    that county, for its own admin or the admin of its city. Everyone else gets 404."""
    if pk is None:
        return require_role(request, Official.Role.COUNTY).county
    return get_object_or_404(County.objects.visible_to(request.user).select_related("city"), pk=pk)


def get_township(request, pk) -> Township:
    official = require_role(
        request, Official.Role.CITY, Official.Role.COUNTY, Official.Role.TOWNSHIP
    )
    return get_object_or_404(Township.objects.visible_to(official.user), pk=pk)


def get_branch(request, pk) -> Branch:
    return get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("township"), pk=pk
    )


def get_member(request, pk) -> Member:
    return get_object_or_404(
        Member.objects.visible_to(request.user)
        .select_related("branch__township")
        .with_current_category(),
        pk=pk,
    )


def require_roster_manager(request, branch: Branch) -> Official:
    """Only the branch's secretary (or the county) changes the roster; others get 404."""
    official = official_of(request)
    if not official.can_manage_roster(branch):
        raise Http404
    return official


def require_points_clerk(request, branch: Branch) -> Official:
    """Entering declarations and deductions and reviewing them: the branch's secretary or
    assessment-group member. Everyone else (who may still read the page) gets 404 on writes."""
    official = official_of(request)
    if not official.can_enter_points(branch):
        raise Http404
    return official


def require_secretary(request, branch: Branch) -> Official:
    official = official_of(request)
    if not official.is_secretary_of(branch):
        raise Http404
    return official


MSG_REGISTERED_ELSEWHERE = "该身份证号已在其他党支部登记：如需转入，请联系乡镇办理组织关系转接。"


def registered_elsewhere_message(viewer: Official | None, other: Branch) -> str:
    """What a person typing an ID number learns about the branch it is already registered in.

    Nothing but "elsewhere" (DOMAIN.md §5): not the branch, township or county, which would tell
    a village where someone lives now. Only the county admin, and only for a branch of their own
    county, is told where: they arrange the transfer. ``other`` needs its township loaded.
    """
    if viewer is not None and viewer.is_county and viewer.county_id == other.township.county_id:
        return (
            f"该身份证号已在本县{other.township.name}{other.full_name}登记："
            "如需转入，请办理组织关系转接。"
        )
    return MSG_REGISTERED_ELSEWHERE
