"""Township, county and city dashboards, the lists behind their numbers, rankings and the 光荣榜.

One view per page; the page's .xlsx is the same view with ``fmt="xlsx"`` (set by its URL), built
from the same data. The scope is looked up first (``core.web.scoped``): a township official sees
only their township, everything else answers 404, on every method; pages are read-only.

Who sees what:
* township pages, lists, rankings and exports: the township's official and the county;
* county pages, lists and exports: the county, and the city above it (``counties/<pk>/…``; the
  county admin also has them without the pk, as ``county/…``);
* the city dashboard: the city admin only;
* a branch's ranking: anyone who may see the branch (its secretary and assessment group too).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from core.web import FIRST_YEAR, scoped
from members.scope import get_branch, get_city, get_county, get_township
from oversight import clock, dashboards, lists, rankings
from oversight.charts import link_cells, month_chart
from oversight.exports import (
    CityDashboardExport,
    DashboardExport,
    EntriesExport,
    HonourExport,
    MembersExport,
    RankingExport,
)
from oversight.scope import Scope, branches_in
from scoring import engine
from scoring.models import PointsEntry

PAGE_SIZE = 100
FLAGS = {"deducted": "有违规扣分", "cleared": "积分清零", "projected": "等次为预计"}
KIND_LABELS = dict(PointsEntry.Kind.choices)
XLSX = "xlsx"


def _year(year: int, on: datetime.date) -> int:
    """A year that has begun: the future has no dashboard."""
    if year > on.year:
        raise Http404
    return year


def _years(year: int, on: datetime.date) -> dict:
    return {
        "prev_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < on.year else None,
    }


GRADE_CHOICES = [(g, engine.GRADE_LABELS[g]) for g in engine.GRADES]


# --- Dashboards --------------------------------------------------------------------------------


@scoped(get_township, "GET")
def township_dashboard(request, township, year, fmt=""):
    on = clock.today()
    board = dashboards.township_dashboard(township, _year(year, on), on)
    if fmt == XLSX:
        return DashboardExport(board).as_response(f"{township.name}_{year}年积分工作台.xlsx")
    link_cells(board.branches, year)
    return render(
        request,
        "oversight/dashboard_township.html",
        {
            "township": township,
            "members_url": reverse("township_members", args=[township.pk]),
            "entries_url": reverse("township_entries", args=[township.pk]),
            "board": board,
            "year": year,
            "month_range": range(1, board.ref_month + 1),
            "month_chart": month_chart(board.months),
            "objections": list(dashboards.open_objections(board.scope)[:50]),
            "grades": GRADE_CHOICES,
            **_years(year, on),
        },
    )


@scoped(get_county, "GET")
def county_dashboard(request, county, year, fmt=""):
    on = clock.today()
    board = dashboards.county_dashboard(county, _year(year, on), on)
    if fmt == XLSX:
        return DashboardExport(board).as_response(f"{board.scope.name}_{year}年积分工作台.xlsx")
    for township in board.townships:
        township.dashboard_url = reverse("township_dashboard", args=[township.pk, year])
        township.members_url = reverse("township_members", args=[township.pk])
        township.entries_url = reverse("township_entries", args=[township.pk])
    return render(
        request,
        "oversight/dashboard_county.html",
        {
            "board": board,
            "county": county,
            "members_url": reverse("county_members_of", args=[county.pk]),
            "entries_url": reverse("county_entries_of", args=[county.pk]),
            "year": year,
            "behind": [b for b in board.branches if b.late][:20],
            "late_total": len(board.late_branches),
            "month_chart": month_chart(board.months),
            "grades": GRADE_CHOICES,
            "villages": sum(1 for b in board.branches if b.kind == "village"),
            "communities": sum(1 for b in board.branches if b.kind != "village"),
            **_years(year, on),
        },
    )


@scoped(get_city, "GET")
def city_dashboard(request, city, year, fmt=""):
    on = clock.today()
    board = dashboards.city_dashboard(city, _year(year, on), on)
    if fmt == XLSX:
        return CityDashboardExport(board).as_response(f"{city.name}_{year}年积分工作台.xlsx")
    for county in board.counties:
        county.dashboard_url = reverse("county_dashboard_of", args=[county.pk, year])
        county.members_url = reverse("county_members_of", args=[county.pk])
        county.entries_url = reverse("county_entries_of", args=[county.pk])
        county.honour_url = reverse("county_honour_of", args=[county.pk, year])
    return render(
        request,
        "oversight/dashboard_city.html",
        {
            "board": board,
            "city": city,
            "year": year,
            "grades": GRADE_CHOICES,
            "late": board.late_branches,
            **_years(year, on),
        },
    )


# --- The lists behind the numbers --------------------------------------------------------------


def _int(value: str | None, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Http404 from None
    if not low <= number <= high:
        raise Http404
    return number


def _choice(value: str | None, choices) -> str:
    if not value:
        return ""
    if value not in choices:
        raise Http404
    return value


def _filters(request, scope: Scope, on: datetime.date, names: tuple[str, ...]) -> dict[str, Any]:
    """The list's filters from the query string; any bad or out-of-scope value is a 404."""
    get = request.GET
    year = _int(get.get("year"), low=FIRST_YEAR, high=on.year) or on.year
    filters: dict[str, Any] = {"year": year}
    if "branch" in names and get.get("branch"):
        branch_id = _int(get.get("branch"), low=1, high=2**62)
        branch = branches_in(scope).filter(pk=branch_id).first()
        if branch is None:
            raise Http404
        filters["branch"] = branch
    if "kind" in names:
        filters["kind"] = _choice(get.get("kind"), KIND_LABELS)
    if "month" in names:
        filters["month"] = _int(get.get("month"), low=1, high=12)
    if "category" in names:
        filters["category"] = _choice(get.get("category"), engine.CATEGORIES)
    if "grade" in names:
        filters["grade"] = _choice(get.get("grade"), engine.GRADES)
    if "flag" in names:
        filters["flag"] = _choice(get.get("flag"), FLAGS)
    if "member" in names:
        filters["member"] = _int(get.get("member"), low=1, high=2**62)
    return filters


def _query(filters: dict[str, Any], **changes) -> str:
    values = {**filters, **changes}
    pairs = []
    for key, value in values.items():
        if value in (None, "", 0):
            continue
        pairs.append((key, value.pk if hasattr(value, "pk") else value))
    return urlencode(pairs)


def _describe(filters: dict[str, Any], member_name: str = "") -> list[str]:
    parts = [f"{filters['year']}年"]
    if filters.get("branch"):
        parts.append(filters["branch"].name)
    if filters.get("category"):
        parts.append(f"{filters['category']}类党员")
    if filters.get("kind"):
        parts.append(KIND_LABELS[filters["kind"]])
    if filters.get("month"):
        parts.append(f"{filters['month']}月")
    if filters.get("grade"):
        parts.append(engine.GRADE_LABELS[filters["grade"]])
    if filters.get("flag"):
        parts.append(FLAGS[filters["flag"]])
    if member_name:
        parts.append(member_name)
    return parts


ENTRY_FILTERS = ("branch", "kind", "month", "category", "member")
MEMBER_FILTERS = ("branch", "category", "grade", "flag")


def _entries(request, scope: Scope, fmt: str):
    on = clock.today()
    filters = _filters(request, scope, on, ENTRY_FILTERS)
    year = filters["year"]
    entries = lists.entries_list(
        scope,
        year=year,
        ref_month=clock.reference_month(year, on),
        branch=filters["branch"].pk if filters.get("branch") else None,
        kind=filters["kind"],
        month=filters["month"],
        category=filters["category"],
        member=filters["member"],
    )
    if fmt == XLSX:
        name = "_".join([scope.name, *_describe(filters)])
        return EntriesExport(entries).as_response(f"{name}_积分台账.xlsx")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    member_name = rows[0].member.name if filters["member"] and rows else ""
    return render(
        request,
        "oversight/dashboard_entries.html",
        {
            "scope": scope,
            "township": scope.township,
            "filters": filters,
            "description": _describe(filters, member_name),
            "page": page,
            "rows": rows,
            "query": _query(filters),
            "kinds": KIND_LABELS,
            "month_choices": range(1, 13),
        },
    )


@scoped(get_township, "GET")
def township_entries(request, township, fmt=""):
    return _entries(request, Scope(township=township), fmt)


@scoped(get_county, "GET")
def county_entries(request, county, fmt=""):
    return _entries(request, Scope(county=county), fmt)


def _members(request, scope: Scope, fmt: str):
    on = clock.today()
    filters = _filters(request, scope, on, MEMBER_FILTERS)
    year = filters["year"]
    ref_month = clock.reference_month(year, on)
    members = lists.members_list(
        scope,
        year=year,
        ref_month=ref_month,
        branch=filters["branch"].pk if filters.get("branch") else None,
        category=filters["category"],
        grade=filters["grade"],
        flag=filters["flag"],
    )
    members.sort(key=lambda m: (m.branch.township.position, m.branch.position, m.name_sort, m.pk))
    if fmt == XLSX:
        name = "_".join([scope.name, *_describe(filters)])
        return MembersExport(members, year=year).as_response(f"{name}_党员积分.xlsx")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/dashboard_members.html",
        {
            "scope": scope,
            "township": scope.township,
            "filters": filters,
            "description": _describe(filters),
            "page": page,
            "rows": page.object_list,
            "ref_month": ref_month,
            "query": _query(filters),
        },
    )


@scoped(get_township, "GET")
def township_members(request, township, fmt=""):
    return _members(request, Scope(township=township), fmt)


@scoped(get_county, "GET")
def county_members(request, county, fmt=""):
    return _members(request, Scope(county=county), fmt)


# --- Rankings ----------------------------------------------------------------------------------


def _ranking(request, ranking: rankings.Ranking, fmt: str, filename: str, **context):
    """The ranking in pages of PAGE_SIZE, searchable by name or branch (the ranks are the whole
    table's: a search finds a member at their place, it does not re-rank)."""
    if fmt == XLSX:
        return RankingExport(ranking).as_response(filename)
    search = request.GET.get("q", "").strip()[:30]
    rows = ranking.rows
    if search:
        rows = [m for m in rows if search in m.name or search in m.branch.name]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/dashboard_ranking.html",
        {
            "ranking": ranking,
            "rows": page.object_list,
            "page": page,
            "search": search,
            "query": urlencode({"q": search}) if search else "",
            "year": ranking.year,
            "tie_rule": rankings.TIE_EXPLANATION,
            **context,
        },
    )


@scoped(get_branch, "GET")
def branch_ranking(request, branch, year, fmt=""):
    on = clock.today()
    ranking = rankings.branch_ranking(branch, _year(year, on), on)
    filename = f"{branch.township.name}{branch.name}_{year}年积分排名.xlsx"
    return _ranking(request, ranking, fmt, filename, branch=branch, **_years(year, on))


@scoped(get_township, "GET")
def township_ranking(request, township, year, fmt=""):
    on = clock.today()
    ranking = rankings.township_ranking(township, _year(year, on), on)
    filename = f"{township.name}_{year}年积分排名.xlsx"
    return _ranking(request, ranking, fmt, filename, township=township, **_years(year, on))


# --- 光荣榜 ------------------------------------------------------------------------------------


def _honour(request, scope: Scope, year: int, fmt: str, **context):
    on = clock.today()
    roll = rankings.honour(scope, _year(year, on), on)
    if fmt == XLSX:
        return HonourExport(roll).as_response(f"{scope.name}_{year}年光荣榜.xlsx")
    return render(
        request,
        "oversight/dashboard_honour.html",
        {
            "roll": roll,
            "year": roll.year,
            "tie_rule": rankings.TIE_EXPLANATION,
            **context,
            **_years(year, on),
        },
    )


@scoped(get_township, "GET")
def township_honour(request, township, year, fmt=""):
    return _honour(request, Scope(township=township), year, fmt, township=township)


@scoped(get_county, "GET")
def county_honour(request, county, year, fmt=""):
    return _honour(request, Scope(county=county), year, fmt, county=county)
