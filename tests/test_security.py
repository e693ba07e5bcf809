"""Logging in, throttling, security headers and the templates that keep the CSP honest.

Everything goes through the views and the HTTP responses a browser would see. Logins are POSTed
to the login page (not ``client.login()``) because django-axes needs the request.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOGIN_URL = "/accounts/login/"
WRONG_PASSWORD = "not the password"
NEW_PASSWORD = "岚县积分-新口令-2026"


def post_login(client: Client, username: str, password: str, **extra: str):
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def is_logged_in(client: Client) -> bool:
    """Whether the client's session is logged in, seen as a user sees it: "/" is not a login."""
    response = client.get("/")
    return not (response.status_code == 302 and response.url.startswith(LOGIN_URL))


# --- The login page -------------------------------------------------------------------------


def test_login_page_is_in_chinese_with_username_and_password_fields(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("用户名", "密码", "登录"):
        assert text in html
    assert re.search(r'<input[^>]*\bname="username"', html)
    assert re.search(r'<input[^>]*\bname="password"[^>]*\btype="password"', html) or re.search(
        r'<input[^>]*\btype="password"[^>]*\bname="password"', html
    )
    assert 'name="csrfmiddlewaretoken"' in html


def test_wrong_password_shows_a_chinese_error_and_does_not_log_in(client, county):
    response = post_login(client, "secretary", WRONG_PASSWORD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html
    assert "锁定" in html  # warns that repeated failures lock the account
    assert not is_logged_in(client)


def test_correct_login_redirects_home(client, county):
    response = post_login(client, "secretary", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_logged_in(client)
    # Home then shows the secretary what needs doing in their branch.
    home = client.get("/")
    assert home.status_code == 200 and "待办事项" in home.content.decode()


def test_login_follows_next_on_this_site_but_not_elsewhere(county):
    client = Client()
    response = post_login(client, "county", PASSWORD, next="/county/")
    assert response.url == "/county/"

    client = Client()
    response = post_login(client, "county", PASSWORD, next="https://evil.example/phish")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_logout_is_post_only_and_logs_out(county):
    client = Client()
    post_login(client, "secretary", PASSWORD)

    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert is_logged_in(client)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert urlsplit(response.url).path == LOGIN_URL
    assert not is_logged_in(client)


def test_logged_in_pages_offer_a_logout_button_that_posts(county):
    html = county.client("secretary").get(reverse("branch", args=[county.branch.pk])).content
    html = html.decode()

    assert re.search(r'<form method="post" action="/accounts/logout/"', html)
    assert "退出" in html
    assert 'href="/accounts/password/"' in html


def test_password_change_works_for_a_logged_in_user(county):
    client = Client()
    post_login(client, "secretary", PASSWORD)

    page = client.get("/accounts/password/")
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()

    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert "密码已修改" in client.get(response.url).content.decode()
    assert is_logged_in(client)  # changing the password keeps this session

    assert post_login(Client(), "secretary", NEW_PASSWORD).status_code == 302
    refused = post_login(Client(), "secretary", PASSWORD)
    assert refused.status_code == 200
    assert "用户名或密码不正确" in refused.content.decode()


def test_password_change_with_wrong_old_password_is_refused_in_chinese(county):
    client = Client()
    post_login(client, "secretary", PASSWORD)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": WRONG_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "旧密码" in response.content.decode()
    county.secretary_user.refresh_from_db()
    assert county.secretary_user.check_password(PASSWORD)


def test_password_change_page_needs_login(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert urlsplit(response.url).path == LOGIN_URL


# --- Every page but the login page needs a login ----------------------------------------------


def _sample_path(pattern: str) -> str:
    """A concrete path matching a URL pattern's text (route or regex)."""

    # Regex named groups: the first alternative, or a harmless word for anything else.
    def group(match: re.Match) -> str:
        first = match.group(1).split("|")[0]
        return first if re.fullmatch(r"\w+", first) else "nothing-here/"

    path = re.sub(r"\(\?P<\w+>([^)]*)\)", group, pattern)
    # Route converters: <year:year> (2000–2099), <int:pk>, <path:object_id>, <id>.
    path = re.sub(r"<year:\w+>", "2026", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
    return "/" + path.replace("^", "").replace("$", "")


def _all_url_patterns(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _all_url_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


LOGIN_PAGES = {"/accounts/login/", "/admin/login/"}
# Public by design: the member's own points card behind an unguessable QR token
# (tests/test_card_links.py checks it shows nothing else and 404s for unknown tokens), the
# member's own declaring behind that token and a PIN (tests/test_posts_pin.py), a shared notice
# behind its own token, also as a PNG and a PDF (tests/test_posts_share*.py), and the load
# balancer's probe.
PUBLIC_PAGES = {
    "/c/1/",
    "/c/1/self/",
    "/c/1/self/claim/",
    "/c/1/self/declare/",
    "/c/1/self/leave/",
    "/c/1/self/photos/1/",
    "/c/1/self/report/",
    "/g/1/",
    "/g/1/notice.pdf",
    "/g/1/notice.png",
    "/healthz",
}
EVERY_PATH = sorted({_sample_path(p) for p in _all_url_patterns()} - LOGIN_PAGES - PUBLIC_PAGES)


def test_the_url_walk_sees_the_pages_we_know_about():
    known = [
        "/",
        "/county/",
        "/admin/",
        "/admin/members/member/",
        "/branches/1/",
        "/accounts/password/",
    ]
    for path in known:
        assert path in EVERY_PATH


@pytest.mark.parametrize("path", ["/", "/county/", "/admin/"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.path in LOGIN_PAGES
    assert f"next={path}" in target.query


def test_every_page_but_login_needs_a_login(client, county):
    not_protected = {}
    for path in EVERY_PATH:
        response = client.get(path)
        if not (response.status_code == 302 and urlsplit(response.url).path in LOGIN_PAGES):
            not_protected[path] = response.status_code
    assert not_protected == {}, f"reachable without logging in: {not_protected}"


def test_login_page_is_reachable_anonymously(client):
    assert client.get(LOGIN_URL).status_code == 200


# --- Failed-login throttling (django-axes) ----------------------------------------------------


def test_throttle_settings_are_what_the_locked_out_page_says():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.5  # the locked-out page promises 30 minutes


def test_repeated_wrong_passwords_lock_out_even_the_right_password(client, county):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = post_login(client, "secretary", WRONG_PASSWORD)
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()

    # The limit-th failure already answers with the locked-out page.
    response = post_login(client, "secretary", WRONG_PASSWORD)
    assert response.status_code == 429

    response = post_login(client, "secretary", PASSWORD)
    assert response.status_code == 429  # axes 8's default AXES_HTTP_RESPONSE_CODE
    html = response.content.decode()
    assert "登录失败次数过多" in html
    assert "30 分钟" in html
    assert not is_logged_in(client)

    attempt = AccessAttempt.objects.get(username="secretary")
    assert attempt.failures_since_start >= limit
    assert attempt.ip_address == "127.0.0.1"
    # Administrators find the lock-out in the admin (axes → access attempts) to lift it early.
    assert AccessAttempt.objects.filter(username="secretary").count() == 1


def test_lockout_is_per_user_name(client, county):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "secretary", WRONG_PASSWORD)

    # Another official at the same computer (same address) can still log in.
    response = post_login(client, "assessor", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_lockout_is_per_address(county):
    locked = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(locked, "secretary", WRONG_PASSWORD)
    assert post_login(locked, "secretary", PASSWORD).status_code == 429

    # The same user at their own computer is not locked out by someone else's guessing.
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    assert post_login(elsewhere, "secretary", PASSWORD).status_code == 302


def test_a_successful_login_before_the_limit_resets_the_count(county):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    for _ in range(limit - 1):
        post_login(client, "secretary", WRONG_PASSWORD)
    assert AccessAttempt.objects.get(username="secretary").failures_since_start == limit - 1

    assert post_login(client, "secretary", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="secretary").exists()
    client.post("/accounts/logout/")

    # Another limit-1 failures: 2*(limit-1) in total, but only limit-1 since the success.
    for _ in range(limit - 1):
        assert post_login(client, "secretary", WRONG_PASSWORD).status_code == 200
    response = post_login(client, "secretary", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")


# --- Security headers -------------------------------------------------------------------------


def _csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_security_headers(response):
    csp = _csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_carries_security_headers(client):
    _assert_security_headers(client.get(LOGIN_URL))


def test_logged_in_pages_carry_security_headers(county):
    client = county.client("county")
    for path in ("/county/", reverse("branch", args=[county.branch.pk]), "/accounts/password/"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response)


def test_redirects_and_the_locked_out_page_carry_security_headers(client, county):
    _assert_security_headers(client.get("/county/"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, "secretary", WRONG_PASSWORD)
    assert response.status_code == 429
    _assert_security_headers(response)


def test_session_and_csrf_cookies_are_not_readable_by_script(county):
    client = Client()
    client.get(LOGIN_URL)
    assert client.cookies["csrftoken"]["httponly"]
    post_login(client, "secretary", PASSWORD)
    assert client.cookies["sessionid"]["httponly"]
    assert client.cookies["sessionid"]["samesite"] == "Lax"


# --- Templates stay CSP-clean -----------------------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
OFFENCES = {
    "inline <script> block": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
}
ATTRIBUTE_OFFENCES = {
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on*= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}


def _template_files() -> list[Path]:
    roots = [PROJECT_ROOT / "templates"]
    # App template directories in this project (not the virtualenv's packages) count too.
    roots += [
        d
        for d in PROJECT_ROOT.glob("*/templates")
        if d.is_dir() and not d.parent.name.startswith(".")
    ]
    return sorted(f for root in roots for f in root.rglob("*") if f.is_file())


def _offences(text: str) -> list[tuple[int, str]]:
    found = []
    for name, regex in OFFENCES.items():
        found += [(m.start(), name) for m in regex.finditer(text)]
    for tag in TAG.finditer(text):
        for name, regex in ATTRIBUTE_OFFENCES.items():
            if regex.search(tag.group()):
                found.append((tag.start(), name))
    return sorted(found)


def test_the_template_scanner_catches_what_the_csp_would_block():
    bad = (
        "<script>alert(1)</script>\n"
        '<div style="color:red">\n'
        '<button type="button" onclick="go()">\n'
        '<a href="javascript:void(0)">\n'
        "<style>p{}</style>\n"
    )
    assert {name for _, name in _offences(bad)} == set(OFFENCES) | set(ATTRIBUTE_OFFENCES)
    good = (
        '<script src="/static/js/app.js"></script>\n'
        '<p class="online">onsite={{ x }} style is nice</p>\n'
        '<input name="only" data-style="x">\n'
    )
    assert _offences(good) == []


def test_no_template_has_inline_script_style_or_event_handlers():
    files = _template_files()
    assert any(f.name == "base.html" for f in files)

    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for offset, name in _offences(text):
            line = text.count("\n", 0, offset) + 1
            offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{line}: {name}")
    assert offenders == [], "the CSP would block these:\n" + "\n".join(offenders)
