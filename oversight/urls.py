"""Dashboards, the lists behind their numbers, rankings and the 光荣榜. Each page's .xlsx is the
same view with ``fmt="xlsx"``.

Scope of each URL: ``townships/<pk>/…`` — that township's official, the county or the city (404
for anyone else); ``county/…`` — the county admin's own county; ``counties/<pk>/…`` — the same
pages for that county's admin or its city's admin; ``city/…`` — the city admin's own city;
``branches/<pk>/ranking/…`` — anyone who may see the branch.
"""

from django.urls import path

from oversight import views as v

XLSX = {"fmt": "xlsx"}

urlpatterns = [
    # Dashboards
    path(
        "townships/<int:pk>/dashboard/<year:year>/", v.township_dashboard, name="township_dashboard"
    ),
    path(
        "townships/<int:pk>/dashboard/<year:year>.xlsx",
        v.township_dashboard,
        XLSX,
        name="township_dashboard_export",
    ),
    path("county/dashboard/<year:year>/", v.county_dashboard, name="county_dashboard"),
    path(
        "county/dashboard/<year:year>.xlsx",
        v.county_dashboard,
        XLSX,
        name="county_dashboard_export",
    ),
    path(
        "counties/<int:pk>/dashboard/<year:year>/",
        v.county_dashboard,
        name="county_dashboard_of",
    ),
    path(
        "counties/<int:pk>/dashboard/<year:year>.xlsx",
        v.county_dashboard,
        XLSX,
        name="county_dashboard_of_export",
    ),
    path("city/dashboard/<year:year>/", v.city_dashboard, name="city_dashboard"),
    path("city/dashboard/<year:year>.xlsx", v.city_dashboard, XLSX, name="city_dashboard_export"),
    # The lists behind the numbers (filters in the query string)
    path("townships/<int:pk>/entries/", v.township_entries, name="township_entries"),
    path(
        "townships/<int:pk>/entries.xlsx",
        v.township_entries,
        XLSX,
        name="township_entries_export",
    ),
    path("townships/<int:pk>/points/", v.township_members, name="township_members"),
    path(
        "townships/<int:pk>/points.xlsx",
        v.township_members,
        XLSX,
        name="township_members_export",
    ),
    path("county/entries/", v.county_entries, name="county_entries"),
    path("county/entries.xlsx", v.county_entries, XLSX, name="county_entries_export"),
    path("county/points/", v.county_members, name="county_members"),
    path("county/points.xlsx", v.county_members, XLSX, name="county_members_export"),
    path("counties/<int:pk>/entries/", v.county_entries, name="county_entries_of"),
    path(
        "counties/<int:pk>/entries.xlsx",
        v.county_entries,
        XLSX,
        name="county_entries_of_export",
    ),
    path("counties/<int:pk>/points/", v.county_members, name="county_members_of"),
    path(
        "counties/<int:pk>/points.xlsx",
        v.county_members,
        XLSX,
        name="county_members_of_export",
    ),
    # Rankings
    path("branches/<int:pk>/ranking/<year:year>/", v.branch_ranking, name="branch_ranking"),
    path(
        "branches/<int:pk>/ranking/<year:year>.xlsx",
        v.branch_ranking,
        XLSX,
        name="branch_ranking_export",
    ),
    path("townships/<int:pk>/ranking/<year:year>/", v.township_ranking, name="township_ranking"),
    path(
        "townships/<int:pk>/ranking/<year:year>.xlsx",
        v.township_ranking,
        XLSX,
        name="township_ranking_export",
    ),
    # 光荣榜
    path("townships/<int:pk>/honour/<year:year>/", v.township_honour, name="township_honour"),
    path(
        "townships/<int:pk>/honour/<year:year>.xlsx",
        v.township_honour,
        XLSX,
        name="township_honour_export",
    ),
    path("county/honour/<year:year>/", v.county_honour, name="county_honour"),
    path("county/honour/<year:year>.xlsx", v.county_honour, XLSX, name="county_honour_export"),
    path("counties/<int:pk>/honour/<year:year>/", v.county_honour, name="county_honour_of"),
    path(
        "counties/<int:pk>/honour/<year:year>.xlsx",
        v.county_honour,
        XLSX,
        name="county_honour_of_export",
    ),
]
