from django.urls import path

from members import account_views, card_link_views, roster_views, views

urlpatterns = [
    path("county/", views.county, name="county"),
    path("county/logins/", account_views.county_logins, name="county_logins"),
    path("townships/<int:pk>/", views.township, name="township"),
    path("branches/<int:pk>/", views.branch, name="branch"),
    path("branches/<int:pk>/members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/category/", views.member_category, name="member_category"),
    path("members/<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:pk>/leave/", views.member_leave, name="member_leave"),
    path("branches/<int:pk>/roster.xlsx", roster_views.roster_export, name="roster_export"),
    path(
        "branches/<int:pk>/import/template.xlsx",
        roster_views.roster_template,
        name="roster_template",
    ),
    path("branches/<int:pk>/import/", roster_views.roster_import, name="roster_import"),
    path(
        "branches/<int:pk>/import/confirm/",
        roster_views.roster_import_confirm,
        name="roster_import_confirm",
    ),
    path("members/<int:pk>/card-link/", card_link_views.card_link, name="card_link"),
    path(
        "branches/<int:pk>/card-links/",
        card_link_views.card_links_issue_all,
        name="card_links_issue_all",
    ),
]
