"""Dashboards, the lists behind their numbers, rankings and the 光荣榜 (see dashboard_views).

Scope of each URL: ``townships/<pk>/…`` — that township's official or the county (404 for
anyone else); ``county/…`` — the county only; ``branches/<pk>/ranking/…`` — anyone who may see
the branch.
"""

from django.urls import path

from evaluations import dashboard_views as D

urlpatterns = [
    # Dashboards
    path(
        "townships/<int:pk>/dashboard/<int:year>/", D.township_dashboard, name="township_dashboard"
    ),
    path(
        "townships/<int:pk>/dashboard/<int:year>.xlsx",
        D.township_dashboard_export,
        name="township_dashboard_export",
    ),
    path("county/dashboard/<int:year>/", D.county_dashboard, name="county_dashboard"),
    path(
        "county/dashboard/<int:year>.xlsx",
        D.county_dashboard_export,
        name="county_dashboard_export",
    ),
    # The lists behind the numbers (filters in the query string)
    path("townships/<int:pk>/entries/", D.township_entries, name="township_entries"),
    path(
        "townships/<int:pk>/entries.xlsx",
        D.township_entries,
        {"export": True},
        name="township_entries_export",
    ),
    path("townships/<int:pk>/points/", D.township_members, name="township_members"),
    path(
        "townships/<int:pk>/points.xlsx",
        D.township_members,
        {"export": True},
        name="township_members_export",
    ),
    path("county/entries/", D.county_entries, name="county_entries"),
    path("county/entries.xlsx", D.county_entries, {"export": True}, name="county_entries_export"),
    path("county/points/", D.county_members, name="county_members"),
    path("county/points.xlsx", D.county_members, {"export": True}, name="county_members_export"),
    # Rankings
    path("branches/<int:pk>/ranking/<int:year>/", D.branch_ranking, name="branch_ranking"),
    path(
        "branches/<int:pk>/ranking/<int:year>.xlsx",
        D.branch_ranking_export,
        name="branch_ranking_export",
    ),
    path("townships/<int:pk>/ranking/<int:year>/", D.township_ranking, name="township_ranking"),
    path(
        "townships/<int:pk>/ranking/<int:year>.xlsx",
        D.township_ranking_export,
        name="township_ranking_export",
    ),
    # 光荣榜
    path("townships/<int:pk>/honour/<int:year>/", D.township_honour, name="township_honour"),
    path(
        "townships/<int:pk>/honour/<int:year>.xlsx",
        D.township_honour_export,
        name="township_honour_export",
    ),
    path("county/honour/<int:year>/", D.county_honour, name="county_honour"),
    path("county/honour/<int:year>.xlsx", D.county_honour_export, name="county_honour_export"),
]
