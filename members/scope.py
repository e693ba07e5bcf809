"""Scoped look-ups: the one way a view fetches an organisation object for the current user.

Anything outside the user's county, township or branch answers 404 — not 403 — so the existence of
another village's members is not revealed, on GET and POST alike.
"""

from __future__ import annotations

from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404

from members.models import Branch, County, Member, Official, Township


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


def get_county(request) -> County:
    """The county admin's own county (a database may hold several); everyone else gets 404."""
    return require_role(request, Official.Role.COUNTY).county


def get_township(request, pk) -> Township:
    official = require_role(request, Official.Role.COUNTY, Official.Role.TOWNSHIP)
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


def only_methods(request, *methods: str) -> HttpResponseNotAllowed | None:
    """Call after the scoped look-up: out of scope is 404 whatever the method, and only then
    does a wrong method get 405 (Django's require_GET would answer 405 first)."""
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None
