"""Members declare for themselves from their card link after a PIN the secretary issues: the
PIN is kept only as a hash and shown once; the session reaches only that member; five wrong PINs
lock declaring for an hour; resetting the PIN or reissuing the card link ends open sessions; a
declaration lands as 待审议 (本人申报) and is refused into a closed month; a migrant member
reports in once a month."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from members import card_links
from members.permissions import system_user
from posts.models import MemberPin, MigrantReport
from scoring import services as scoring
from scoring.models import Declaration, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def rules(county):
    return load_default_rules(year=YEAR)


def _issue(county, member=None) -> str:
    member = member or county.member
    response = county.client("secretary").post(reverse("member_pin", args=[member.pk]))
    assert response.status_code == 200
    return re.search(r'class="pin-big">(\d{6})<', response.content.decode()).group(1)


def _token(county, member=None) -> str:
    return card_links.card_link_for(member=member or county.member, by=county.secretary_user).token


def _sign_in(client, token, pin):
    return client.post(reverse("card_self", args=[token]), {"pin": pin})


def _declare(client, token, **extra):
    item = RuleItem.objects.get(code="G02", branch__isnull=True, rule_set__county__name="岚县")
    data = {
        "item": item.pk,
        "occurred_on": extra.pop("occurred_on", timezone.localdate().isoformat()),
        "description": "清扫村道",
        **extra,
    }
    return client.post(reverse("card_self_declare", args=[token]), data)


def test_the_pin_is_kept_only_as_a_hash_and_shown_once(county):
    pin = _issue(county)
    row = MemberPin.objects.get(member=county.member)
    assert pin not in row.pin_hash
    page = county.client("secretary").get(reverse("member_pin", args=[county.member.pk]))
    assert pin not in page.content.decode()
    # Only the member's own secretary issues it.
    for persona in ("assessor", "township", "secretary_y"):
        assert (
            county.client(persona).post(reverse("member_pin", args=[county.member.pk])).status_code
            == 404
        )


def test_a_member_declares_after_the_pin_and_sees_the_status(county, rules):
    pin, token = _issue(county), _token(county)
    client = Client()
    card = client.get(reverse("card_public", args=[token])).content.decode()
    assert reverse("card_self", args=[token]) in card  # the way in, on the card's own page
    assert pin not in card
    # Before the PIN: no declaring.
    assert _declare(client, token).status_code == 302
    assert Declaration.objects.count() == 0
    assert _sign_in(client, token, pin).status_code == 302
    response = _declare(client, token)
    assert response.status_code == 302, response.content.decode()
    declaration = Declaration.objects.get()
    assert declaration.source == Declaration.Source.SELF
    assert declaration.status == Declaration.Status.SUBMITTED
    assert declaration.member == county.member
    page = client.get(reverse("card_self", args=[token]))
    assert "待审议" in page.content.decode()
    assert page["X-Robots-Tag"].startswith("noindex")
    assert page["Referrer-Policy"] == "no-referrer"
    # A second tap of the button saves nothing twice.
    _declare(client, token)
    assert Declaration.objects.count() == 1
    scoring.declaration_return(declaration=declaration, by=county.secretary_user, reason="照片不清")
    page = client.get(reverse("card_self", args=[token])).content.decode()
    assert "已退回：照片不清" in page


def test_a_photo_is_decoded_and_only_the_member_sees_it(county, rules):
    pin, token = _issue(county), _token(county)
    other = make_member(county.branch, "刘二")
    other_pin, other_token = _issue(county, other), _token(county, other)
    client = Client()
    _sign_in(client, token, pin)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    photo = SimpleUploadedFile("x.png", buffer.getvalue(), content_type="image/png")
    assert _declare(client, token, photo=photo).status_code == 302
    mine = Declaration.objects.get()
    assert mine.photo.name.endswith(".jpg")
    assert client.get(reverse("card_self_photo", args=[token, mine.pk])).status_code == 200
    # The other member's session cannot reach it, on either token.
    other_client = Client()
    _sign_in(other_client, other_token, other_pin)
    assert (
        other_client.get(reverse("card_self_photo", args=[other_token, mine.pk])).status_code == 404
    )
    assert other_client.get(reverse("card_self_photo", args=[token, mine.pk])).status_code == 404
    # And at the first member's URL the other member's session is no session: the PIN form.
    page = other_client.get(reverse("card_self", args=[token])).content.decode()
    assert "输入申报密码" in page and "我的申报" not in page
    assert _declare(other_client, token).status_code == 302
    assert Declaration.objects.count() == 1


def test_a_closed_month_is_refused_with_the_reason(county, rules):
    pin, token = _issue(county), _token(county)
    month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=3)
    scoring.month_close(
        branch_month=month, meeting_date=datetime.date(YEAR, 4, 2), by=county.secretary_user
    )
    client = Client()
    _sign_in(client, token, pin)
    response = _declare(client, token, occurred_on="2026-03-10")
    assert response.status_code == 200
    assert "已于支委会结账" in response.content.decode()
    assert Declaration.objects.count() == 0


def test_five_wrong_pins_lock_declaring_for_an_hour(county, rules, monkeypatch):
    pin, token = _issue(county), _token(county)
    wrong = "000000" if pin != "000000" else "111111"
    client = Client()
    for _ in range(5):
        assert _sign_in(client, token, wrong).status_code == 200
    # Now even the right PIN is refused; the card itself still opens.
    response = _sign_in(client, token, pin)
    assert "锁定" in response.content.decode()
    assert client.get(reverse("card_public", args=[token])).status_code == 200
    assert _declare(client, token).status_code == 302
    assert Declaration.objects.count() == 0
    # An hour later the right PIN works again.
    later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _sign_in(client, token, pin).status_code == 302
    assert MemberPin.objects.get().failures == 0


def test_resetting_the_pin_or_reissuing_the_card_ends_open_sessions(county, rules):
    pin, token = _issue(county), _token(county)
    client = Client()
    _sign_in(client, token, pin)
    assert "我的申报" in client.get(reverse("card_self", args=[token])).content.decode()
    _issue(county)  # reset
    assert "输入申报密码" in client.get(reverse("card_self", args=[token])).content.decode()
    pin = _issue(county)
    _sign_in(client, token, pin)
    assert "我的申报" in client.get(reverse("card_self", args=[token])).content.decode()
    new = card_links.card_link_reissue(member=county.member, by=county.secretary_user)
    assert client.get(reverse("card_self", args=[token])).status_code == 404
    assert "输入申报密码" in client.get(reverse("card_self", args=[new.token])).content.decode()


def test_a_migrant_member_reports_in_and_the_month_screen_links_the_list(county, rules):
    migrant = make_member(county.branch, "外出甲", category="C")
    silent = make_member(county.branch, "外出乙", category="C")
    pin, token = _issue(county, migrant), _token(county, migrant)
    client = Client()
    _sign_in(client, token, pin)
    response = client.post(
        reverse("card_self_report", args=[token]), {"place": "太原市", "doing": "建筑工地务工"}
    )
    assert response.status_code == 302
    assert MigrantReport.objects.get().place == "太原市"
    today = timezone.localdate()
    secretary = county.client("secretary")
    month = secretary.get(reverse("month", args=[county.branch.pk, today.year, today.month]))
    url = reverse("migrants_branch", args=[county.branch.pk, today.year, today.month])
    assert url in month.content.decode()
    page = secretary.get(url).content.decode()
    assert migrant.name in page and silent.name in page and "连续 3 个月未报到" in page
    township = county.client("township").get(reverse("migrants_township", args=[county.dongcun.pk]))
    assert migrant.name in township.content.decode()
    # A member not in category C has no report form and cannot report.
    pin_a, token_a = _issue(county), _token(county)
    other = Client()
    _sign_in(other, token_a, pin_a)
    other.post(reverse("card_self_report", args=[token_a]), {"place": "x", "doing": "y"})
    assert MigrantReport.objects.count() == 1


def test_the_secretary_downloads_the_card_link_as_a_qr_picture(county):
    token = _token(county)
    secretary = county.client("secretary")
    page = secretary.get(reverse("member_pin", args=[county.member.pk])).content.decode()
    assert token in page  # the link, to copy
    response = secretary.get(reverse("member_card_qr", args=[county.member.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert (
        county.client("assessor")
        .get(reverse("member_card_qr", args=[county.member.pk]))
        .status_code
        == 404
    )


def test_the_member_s_page_has_bounded_queries(county, rules, django_assert_max_num_queries):
    pin, token = _issue(county), _token(county)
    client = Client()
    _sign_in(client, token, pin)
    for day in (1, 2, 3):
        _declare(client, token, occurred_on=timezone.localdate().replace(day=day).isoformat())
    client.get(reverse("card_self", args=[token]))
    with django_assert_max_num_queries(15):
        assert client.get(reverse("card_self", args=[token])).status_code == 200


def test_a_member_claims_a_post_with_a_free_place_and_the_committee_confirms(county, rules):
    from posts.models import Post, PostHolding

    full = Post.objects.create(branch=county.branch, name="满员岗", holders=1)
    PostHolding.objects.create(
        member=make_member(county.branch, "刘二"),
        post=full,
        year=timezone.localdate().year,
        status="confirmed",
        created_by=system_user(),
    )
    free = Post.objects.create(branch=county.branch, name="空位岗", holders=1)
    elsewhere = Post.objects.create(branch=county.branch_y, name="邻村岗", holders=1)
    pin, token = _issue(county), _token(county)
    client = Client()
    _sign_in(client, token, pin)
    page = client.get(reverse("card_self", args=[token])).content.decode()
    assert "空位岗" in page and "满员岗" not in page and "邻村岗" not in page
    url = reverse("card_self_claim", args=[token])
    assert client.post(url, {"post": elsewhere.pk}).status_code == 404
    assert client.post(url, {"post": full.pk}).status_code == 302  # refused with a message
    assert client.post(url, {"post": free.pk}).status_code == 302
    holding = PostHolding.objects.get(member=county.member)
    assert (holding.post, holding.status) == (free, "claimed")
