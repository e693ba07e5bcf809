from django.urls import path

from members import views

urlpatterns = [
    path("", views.home, name="home"),
    path("county/", views.county, name="county"),
    path("townships/<int:pk>/", views.township, name="township"),
    path("branches/<int:pk>/", views.branch, name="branch"),
    path("branches/<int:pk>/members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/category/", views.member_category, name="member_category"),
    path("members/<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:pk>/leave/", views.member_leave, name="member_leave"),
]
