"""Error pages in production (DEBUG off): Chinese, in the site's layout, saying what to do next.

The member's own card behind the QR code (/c/<token>/) is opened by family members who have no
login: its 404 (an unknown, revoked or reissued link) has no staff navigation and no link into
the staff site, and sends them to the branch secretary for a new card.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from lanxian_points import errors
from lanxian_points import urls as project_urls
from members import card_links

from .conftest import PASSWORD

# What Django says when a project has no error pages of its own.
ENGLISH = [
    "Not Found",
    "The requested resource was not found",
    "Server Error",
    "Bad Request",
    "Forbidden",
    "CSRF verification failed",
    "Request aborted",
]
STAFF_NAV = 'class="topnav"'


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def page(response) -> str:
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'href="/static/css/app.css"' in html  # the site's layout, not a bare page
    for english in ENGLISH:
        assert english not in html, english
    return html


def links(html: str) -> list[str]:
    return re.findall(r'<a\b[^>]*href="([^"]*)"', html)


# --- 404 ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_address_is_a_chinese_404_with_the_way_home(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = page(response)
    assert "页面不存在或您无权查看" in html
    assert "/" in links(html)  # 返回首页


def test_another_branchs_member_is_the_same_404_inside_the_staff_layout(county):
    url = reverse("member", args=[county.member_z.pk])
    response = county.client("secretary").get(url)

    assert response.status_code == 404
    html = page(response)
    assert "页面不存在或您无权查看" in html
    assert STAFF_NAV in html  # the official keeps the navigation
    assert "退出" in html
    assert county.member_z.name not in html  # nothing about what is out of scope


def _assert_public_card_404(response):
    assert response.status_code == 404
    html = page(response)
    assert "积分卡链接已失效" in html
    assert "重新生成" in html and "党支部书记" in html and "新的积分卡" in html
    assert STAFF_NAV not in html
    assert "<form" not in html
    assert links(html) == []  # not even the brand links into the staff site
    assert "页面不存在或您无权查看" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_a_revoked_card_link_gets_the_public_404(county):
    link = card_links.card_link_for(member=county.member, by=county.secretary_user)
    card_links.card_link_revoke(member=county.member, by=county.secretary_user)

    _assert_public_card_404(Client().get(reverse("card_public", args=[link.token])))


@pytest.mark.parametrize("path", ["/c/not-a-token/", "/c/", "/c/abc/def/", "/c/x/?year=2026"])
def test_anything_under_c_gets_the_public_404(county, path):
    _assert_public_card_404(Client().get(path))


def test_the_public_404_has_no_staff_navigation_even_for_a_logged_in_official(county):
    _assert_public_card_404(county.client("secretary").get("/c/not-a-token/"))


def test_the_public_card_prefix_is_where_the_card_lives():
    assert reverse("card_public", args=["t"]).startswith(errors.PUBLIC_CARD_PREFIX)


# --- 403 ----------------------------------------------------------------------------------------


def test_a_refused_action_is_a_chinese_403(county):
    """The Django admin refuses a staff user without the permission (PermissionDenied)."""
    clerk = User.objects.create_user("clerk", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(clerk)

    response = client.get("/admin/members/member/add/")

    assert response.status_code == 403
    html = page(response)
    assert "您没有权限进行这个操作" in html
    assert "县委组织部" in html
    assert "/" in links(html)


# --- 400 ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_request_is_a_chinese_400(client):
    response = client.get("/", HTTP_HOST="not-our-host.example")  # DisallowedHost

    assert response.status_code == 400
    html = page(response)
    assert "请求无效" in html
    assert "/" in links(html)


# --- 500 ----------------------------------------------------------------------------------------


@pytest.mark.urls("tests.error_urls")
@pytest.mark.django_db
def test_a_crash_is_a_chinese_500():
    response = Client(raise_request_exception=False).get("/fail/")

    assert response.status_code == 500
    html = page(response)
    assert "系统出错了" in html
    assert "可能没有保存" in html and "县委组织部" in html


@pytest.mark.urls("tests.error_urls")
@pytest.mark.django_db
def test_a_crash_under_c_is_a_public_500():
    response = Client(raise_request_exception=False).get("/c/fail/some-token/")

    assert response.status_code == 500
    html = page(response)
    assert "系统出错了" in html
    assert STAFF_NAV not in html and links(html) == []


def test_the_500_page_needs_neither_the_database_nor_a_request_context(rf, caplog):
    """No `db` fixture: pytest-django refuses any query, so a context processor that queried
    would break the page (and the fixed fallback would be sent instead)."""
    request = rf.get("/members/1/")
    response = errors.server_error(request)

    assert response.status_code == 500
    html = page(response)
    assert "错误 500" in html  # the template, not the fallback
    assert not [r for r in caplog.records if r.name == "lanxian_points.errors"]


def test_if_the_500_page_itself_fails_a_fixed_chinese_page_is_sent(rf, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    response = errors.server_error(rf.get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出错了" in html and '<html lang="zh-hans">' in html
    assert "Server Error" not in html


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_a_chinese_page(county):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})

    assert response.status_code == 403
    html = page(response)
    assert "页面已过期" in html
    assert "刷新" in html and "重新登录" in html
    assert reverse("login") in links(html)


def test_a_logged_in_officials_stale_form_keeps_the_staff_layout(county):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.secretary_user)
    response = client.post(reverse("month_close", args=[county.branch.pk, 2026, 3]), {})

    assert response.status_code == 403
    html = page(response)
    assert "页面已过期" in html
    assert STAFF_NAV in html


# --- Wiring -------------------------------------------------------------------------------------


def test_the_handlers_are_wired():
    assert project_urls.handler400 == "lanxian_points.errors.bad_request"
    assert project_urls.handler403 == "lanxian_points.errors.permission_denied"
    assert project_urls.handler404 == "lanxian_points.errors.page_not_found"
    assert project_urls.handler500 == "lanxian_points.errors.server_error"
    assert settings.CSRF_FAILURE_VIEW == "lanxian_points.errors.csrf_failure"


# --- Locked out (django-axes), on the site's login and on the admin's ---------------------------


def _lock_out(client: Client, login_url: str):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login_url, {"username": "county", "password": "wrong"})
    return client.post(login_url, {"username": "county", "password": PASSWORD})


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_a_locked_out_login_is_told_in_chinese_what_to_do(county, login_url):
    response = _lock_out(Client(), login_url)

    assert response.status_code == 429
    html = page(response)
    assert "登录失败次数过多" in html
    assert "30 分钟" in html and "县委组织部" in html
    for english in ("Account locked", "too many login attempts", "Log in"):
        assert english not in html


@pytest.mark.django_db
def test_the_admin_login_page_is_in_chinese(client):
    html = client.get("/admin/login/").content.decode()

    assert "用户名" in html and "密码" in html and "登录" in html
    assert "Log in" not in html and "Username" not in html
