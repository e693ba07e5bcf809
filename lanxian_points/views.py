"""The project's own pages: the home page that says what needs doing, per role.

Everything else lives in the apps; this package sits on top of them (see docs/architecture.md).
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import timezone

from core.web import methods
from oversight import todo


@methods("GET")
def home(request):
    """What needs doing, in plain words, for the role that just logged in."""
    official = getattr(request.user, "official", None)
    if official is None:
        # A shopkeeper (爱心超市管理员) has no Official role: their page is their shop.
        if request.user.shopkeeping.exists():
            return redirect("shops")
        return render(request, "members/home_unassigned.html")
    if official.is_city:
        # The city reads its counties' work: its page is the way to their dashboards.
        return render(
            request,
            "members/home_city.html",
            {
                "city": official.city,
                "counties": official.city.counties.order_by("position", "name"),
                "today": timezone.localdate(),
            },
        )
    if official.is_county:
        return redirect("county")
    if official.is_township:
        tasks = todo.township_tasks(official.township)
        place = official.township
        steps = []
    else:
        tasks = todo.branch_tasks(
            official.branch, is_secretary=official.is_secretary_of(official.branch)
        )
        place = official.branch
        steps = todo.branch_steps(official.branch)
    return render(
        request,
        "members/home.html",
        {"tasks": tasks, "steps": steps, "place": place, "today": timezone.localdate()},
    )
