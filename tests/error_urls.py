"""The project's URLs plus two views that fail: for the 500 tests in tests/test_error_pages.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from lanxian_points.urls import (  # noqa: F401  (Django looks the handlers up on ROOT_URLCONF)
    handler400,
    handler403,
    handler404,
    handler500,
)
from lanxian_points.urls import urlpatterns as project_urlpatterns


@login_not_required
def fail(request, token=None):
    raise RuntimeError("a bug")


urlpatterns = [
    path("fail/", fail),
    path("c/fail/<str:token>/", fail),
    *project_urlpatterns,
]
