"""Failed-login throttling that an attacker cannot turn against a user, and the county admin's
page for lifting a lock early.

Logins are POSTed to the login page (django-axes needs the request). Addresses are from the
documentation ranges (RFC 5737).
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WRONG = "not the password"
PROXY = "127.0.0.1"  # nginx on the same machine
A, B = "203.0.113.5", "198.51.100.7"


def login(client: Client, username: str, password: str, **headers):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **headers)


def fail_until_locked(client: Client, username: str = "county", **headers) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, username, WRONG, **headers).status_code == 200
    assert login(client, username, WRONG, **headers).status_code == 429


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


# --- without a proxy ------------------------------------------------------------------------


def test_failures_from_one_address_lock_that_address_only(county):
    fail_until_locked(Client(REMOTE_ADDR=A))
    assert login(Client(REMOTE_ADDR=A), "county", PASSWORD).status_code == 429
    assert login(Client(REMOTE_ADDR=B), "county", PASSWORD).status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(county):
    # An attacker cannot pick the address they are counted under by sending the header.
    attacker = Client(REMOTE_ADDR=A)
    fail_until_locked(attacker, HTTP_X_FORWARDED_FOR=B)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    assert login(Client(REMOTE_ADDR=B), "county", PASSWORD).status_code == 302
    assert (
        login(Client(REMOTE_ADDR=A), "county", PASSWORD, HTTP_X_FORWARDED_FOR=B).status_code == 429
    )


# --- behind one trusted proxy (README: nginx, TRUSTED_PROXY_COUNT=1) -------------------------


def test_behind_the_proxy_failures_from_a_lock_a_and_not_b(county, behind_one_proxy):
    fail_until_locked(Client(REMOTE_ADDR=PROXY), HTTP_X_FORWARDED_FOR=A)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    locked = login(Client(REMOTE_ADDR=PROXY), "county", PASSWORD, HTTP_X_FORWARDED_FOR=A)
    assert locked.status_code == 429
    fine = login(Client(REMOTE_ADDR=PROXY), "county", PASSWORD, HTTP_X_FORWARDED_FOR=B)
    assert fine.status_code == 302


def test_behind_the_proxy_a_forged_left_entry_does_not_lock_the_victims_address(
    county, behind_one_proxy
):
    # The attacker at A sends "X-Forwarded-For: B"; nginx appends A. Only A is locked.
    fail_until_locked(Client(REMOTE_ADDR=PROXY), HTTP_X_FORWARDED_FOR=f"{B}, {A}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    fine = login(Client(REMOTE_ADDR=PROXY), "county", PASSWORD, HTTP_X_FORWARDED_FOR=B)
    assert fine.status_code == 302


def test_behind_the_proxy_a_request_without_the_header_counts_as_the_proxy(
    county, behind_one_proxy
):
    fail_until_locked(Client(REMOTE_ADDR=PROXY))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    fine = login(Client(REMOTE_ADDR=PROXY), "county", PASSWORD, HTTP_X_FORWARDED_FOR=B)
    assert fine.status_code == 302


def test_a_garbage_forwarded_entry_counts_as_the_proxy(county, behind_one_proxy):
    fail_until_locked(Client(REMOTE_ADDR=PROXY), HTTP_X_FORWARDED_FOR="not-an-address")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_two_trusted_proxies_take_the_second_entry_from_the_right(county, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    cdn = "192.0.2.10"
    fail_until_locked(Client(REMOTE_ADDR=PROXY), HTTP_X_FORWARDED_FOR=f"{B}, {A}, {cdn}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    headers = {"HTTP_X_FORWARDED_FOR": f"{B}, {cdn}"}
    assert login(Client(REMOTE_ADDR=PROXY), "county", PASSWORD, **headers).status_code == 302


# --- the county admin lifts a lock -----------------------------------------------------------

LOGINS = reverse("county_logins")


def test_the_county_admin_sees_and_lifts_a_lock_and_the_password_works_again(county):
    fail_until_locked(Client(REMOTE_ADDR=A), "secretary")
    fail_until_locked(Client(REMOTE_ADDR=A), "nobody-at-all")  # not a user: never listed
    admin = county.client("county")
    page = admin.get(LOGINS)
    assert page.status_code == 200
    html = page.content.decode()
    assert [lock.username for lock in page.context["lockouts"]] == ["secretary"]
    assert "secretary" in html and A in html and "解除锁定" in html
    assert "nobody-at-all" not in html

    response = admin.post(LOGINS, {"username": "secretary"})
    assert response.status_code == 302 and response.url == LOGINS
    assert "已解除账号 secretary 的登录锁定" in admin.get(LOGINS).content.decode()
    assert not AccessAttempt.objects.filter(username="secretary").exists()
    assert login(Client(REMOTE_ADDR=A), "secretary", PASSWORD).status_code == 302


def test_the_county_page_links_to_the_lockouts(county):
    assert LOGINS in county.client("county").get(reverse("county")).content.decode()


def test_another_countys_admin_can_neither_see_nor_lift_the_lock(county):
    fail_until_locked(Client(REMOTE_ADDR=A), "secretary")
    other = county.client("county_x")
    page = other.get(LOGINS)
    assert page.status_code == 200 and page.context["lockouts"] == []
    assert "secretary" not in page.content.decode()
    assert other.post(LOGINS, {"username": "secretary"}).status_code == 404
    assert AccessAttempt.objects.filter(username="secretary").exists()
    assert login(Client(REMOTE_ADDR=A), "secretary", PASSWORD).status_code == 429


def test_the_county_admin_cannot_lift_a_lock_on_a_name_outside_their_county(county):
    fail_until_locked(Client(REMOTE_ADDR=A), "county_x")
    fail_until_locked(Client(REMOTE_ADDR=A), "nobody-at-all")
    admin = county.client("county")
    assert admin.get(LOGINS).context["lockouts"] == []
    assert admin.post(LOGINS, {"username": "county_x"}).status_code == 404
    assert admin.post(LOGINS, {"username": "nobody-at-all"}).status_code == 404
    assert admin.post(LOGINS, {}).status_code == 404
    assert AccessAttempt.objects.filter(username__in=["county_x", "nobody-at-all"]).count() == 2


@pytest.mark.parametrize("persona", ["township", "secretary", "assessor", "secretary_y"])
def test_everyone_but_a_county_admin_gets_404(county, persona):
    fail_until_locked(Client(REMOTE_ADDR=A), "assessor")
    client = county.client(persona)
    assert client.get(LOGINS).status_code == 404
    assert client.post(LOGINS, {"username": "assessor"}).status_code == 404
    assert AccessAttempt.objects.filter(username="assessor").exists()


def test_the_page_lists_every_level_of_the_county_and_not_failures_below_the_limit(county):
    fail_until_locked(Client(REMOTE_ADDR=A), "township")
    fail_until_locked(Client(REMOTE_ADDR=B), "township")
    fail_until_locked(Client(REMOTE_ADDR=A), "county")
    login(Client(REMOTE_ADDR=A), "assessor", WRONG)  # one failure is not a lock
    lockouts = county.client("county").get(LOGINS).context["lockouts"]
    assert {(lock.username, lock.ip_address) for lock in lockouts} == {
        ("county", A),
        ("township", A),
        ("township", B),
    }
