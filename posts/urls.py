from django.urls import path

from posts import self_views, share_views, views

urlpatterns = [
    # Posts and pledges (设岗定责 · 承诺践诺)
    path("branches/<int:pk>/posts/<year:year>/", views.posts_branch, name="posts_branch"),
    path("branches/<int:pk>/posts/<year:year>/new/", views.post_create, name="post_create"),
    path("branches/<int:pk>/posts/<year:year>/copy/", views.posts_copy, name="posts_copy"),
    path(
        "branches/<int:pk>/posts/<year:year>/holders/",
        views.holding_create,
        name="holding_create",
    ),
    path("branches/<int:pk>/posts/<year:year>/board/", views.posts_board, name="posts_board"),
    path(
        "branches/<int:pk>/posts/<year:year>/summary/",
        views.summary_branch,
        name="posts_summary_branch",
    ),
    path(
        "branches/<int:pk>/posts/<year:year>/summary.xlsx",
        views.summary_branch,
        {"xlsx": True},
        name="posts_summary_branch_export",
    ),
    path(
        "townships/<int:pk>/posts/<year:year>/",
        views.summary_township,
        name="posts_summary_township",
    ),
    path(
        "townships/<int:pk>/posts/<year:year>/summary.xlsx",
        views.summary_township,
        {"xlsx": True},
        name="posts_summary_township_export",
    ),
    path("county/posts/<year:year>/", views.summary_county, name="posts_summary_county"),
    path(
        "county/posts/<year:year>/summary.xlsx",
        views.summary_county,
        {"xlsx": True},
        name="posts_summary_county_export",
    ),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("holdings/<int:pk>/", views.holding_detail, name="holding"),
    path("holdings/<int:pk>/confirm/", views.holding_confirm, name="holding_confirm"),
    path("holdings/<int:pk>/end/", views.holding_end, name="holding_end"),
    path("holdings/<int:pk>/pledge/", views.pledge_save, name="pledge_save"),
    path("holdings/<int:pk>/pledge/print/", views.pledge_print, name="pledge_print"),
    path("holdings/<int:pk>/ratings/<int:quarter>/", views.rating_save, name="rating_save"),
    # The member's PIN, and their own page behind the card link (public, after the PIN)
    path("members/<int:pk>/pin/", views.member_pin, name="member_pin"),
    path("members/<int:pk>/card-qr.png", views.member_card_qr, name="member_card_qr"),
    path("c/<str:token>/self/", self_views.card_self, name="card_self"),
    path("c/<str:token>/self/declare/", self_views.card_self_declare, name="card_self_declare"),
    path("c/<str:token>/self/report/", self_views.card_self_report, name="card_self_report"),
    path("c/<str:token>/self/claim/", self_views.card_self_claim, name="card_self_claim"),
    path("c/<str:token>/self/leave/", self_views.card_self_leave, name="card_self_leave"),
    path(
        "c/<str:token>/self/photos/<int:declaration>/",
        self_views.card_self_photo,
        name="card_self_photo",
    ),
    # Migrant members' monthly report-in
    path(
        "branches/<int:pk>/migrants/<year:year>/<int:month>/",
        views.migrants_branch,
        name="migrants_branch",
    ),
    path("townships/<int:pk>/migrants/", views.migrants_township, name="migrants_township"),
    # A published notice shared to WeChat
    path("notices/<int:pk>/share/", views.notice_share, name="notice_share"),
    path("g/<str:token>/", share_views.notice_shared, name="notice_shared"),
    path(
        "g/<str:token>/notice.png",
        share_views.notice_shared_file,
        {"kind": "png"},
        name="notice_shared_png",
    ),
    path(
        "g/<str:token>/notice.pdf",
        share_views.notice_shared_file,
        {"kind": "pdf"},
        name="notice_shared_pdf",
    ),
]
