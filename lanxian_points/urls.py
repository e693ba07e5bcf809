from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lanxian_points import health, views

# Chinese error pages in the site's layout (DEBUG off); the CSRF failure page is CSRF_FAILURE_VIEW.
handler400 = "lanxian_points.errors.bad_request"
handler403 = "lanxian_points.errors.permission_denied"
handler404 = "lanxian_points.errors.page_not_found"
handler500 = "lanxian_points.errors.server_error"

admin.site.site_header = "岚县党员积分管理 · 系统配置"
admin.site.site_title = "岚县党员积分管理"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("", views.home, name="home"),
    path("", include("members.urls")),
    path("", include("scoring.urls")),
    path("", include("evaluations.urls")),
    path("", include("rewards.urls")),
    path("", include("posts.urls")),
    path("", include("oversight.urls")),
]
