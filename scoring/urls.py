from django.urls import path

from scoring import card_views, month_views, public_views, rule_views

urlpatterns = [
    # The one page open without logging in: a member's own card behind the QR code.
    path("c/<str:token>/", public_views.card_public, name="card_public"),
    # The branch's month (steps 2–3)
    path("branches/<int:pk>/month/", month_views.month_current, name="month_current"),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/", month_views.month_screen, name="month"
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/declarations/",
        month_views.declaration_create,
        name="declaration_create",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/deductions/",
        month_views.deduction_create,
        name="deduction_create",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/clearing/",
        month_views.clearing_create,
        name="clearing_create",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/approve/",
        month_views.declarations_approve,
        name="declarations_approve",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/close/",
        month_views.month_close,
        name="month_close",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/activity/",
        month_views.activity_create,
        name="activity_create",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/meetings/",
        month_views.meeting_create,
        name="meeting_create",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/approve-all/",
        month_views.declarations_approve_all,
        name="declarations_approve_all",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/export/",
        month_views.month_export,
        name="month_export",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/template/",
        month_views.month_template,
        name="month_template",
    ),
    path(
        "branches/<int:pk>/months/<year:year>/<int:month>/import/",
        month_views.month_import,
        name="month_import",
    ),
    path("declarations/<int:pk>/edit/", month_views.declaration_edit, name="declaration_edit"),
    path(
        "declarations/<int:pk>/review/", month_views.declaration_review, name="declaration_review"
    ),
    path("declarations/<int:pk>/photo/", month_views.declaration_photo, name="declaration_photo"),
    # Points card (积分卡) and corrections
    path("members/<int:pk>/card/<year:year>/", card_views.points_card, name="points_card"),
    path(
        "members/<int:pk>/card/<year:year>/print/",
        card_views.points_card_print,
        name="points_card_print",
    ),
    path(
        "branches/<int:pk>/cards/<year:year>/print/",
        card_views.branch_cards_print,
        name="branch_cards_print",
    ),
    path(
        "members/<int:pk>/corrections/new/", card_views.correction_create, name="correction_create"
    ),
    # Rules (step 1)
    path("rules/<year:year>/", rule_views.rules_sheet, name="rules_sheet"),
    path("branches/<int:pk>/rules/<year:year>/", rule_views.branch_rules, name="branch_rules"),
    path(
        "branches/<int:pk>/rules/<year:year>/adopt/",
        rule_views.branch_adopt,
        name="branch_adopt",
    ),
    path(
        "branches/<int:pk>/rules/<year:year>/items/new/",
        rule_views.branch_item_create,
        name="branch_item_create",
    ),
    path(
        "branches/<int:pk>/rules/<year:year>/print/",
        rule_views.branch_rules_print,
        name="branch_rules_print",
    ),
]
