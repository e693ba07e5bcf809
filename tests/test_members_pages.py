"""The organisation pages, through the views users use."""

import datetime

import pytest
from django.urls import reverse

from members.idcard import make_id_number
from members.models import Member, RollPeriod
from members.permissions import system_user
from tests.rules_helpers import load_default_rules

from .conftest import make_member, new_id_number

pytestmark = pytest.mark.django_db


def test_county_admin_sees_every_township_with_member_counts(county):
    response = county.client("county").get(reverse("county"))
    assert response.status_code == 200
    rows = {t.name: t.member_count for t in response.context["townships"]}
    assert rows == {"东村镇": 2, "岚城镇": 1}
    assert response.context["totals"] == {"townships": 2, "branches": 3, "members": 3}


def test_home_says_what_needs_doing_for_each_role(county):
    from django.utils import timezone

    today = timezone.localdate()
    load_default_rules(year=today.year)
    assert county.client("county").get("/").url == reverse("county")
    page = county.client("secretary").get("/").content.decode()
    assert f"录入本月（{today.month}月）党员申报" in page
    if today.month > 1:  # nothing is closed in the test county: every past month is late
        assert "1月尚未经支委会结账" in page
    page = county.client("township").get("/").content.decode()
    assert "逾期未结账" in page and "东阳涧村" in page and "史家庄村" not in page


def test_anonymous_visitor_is_sent_to_login(client, county):
    response = client.get(reverse("branch", args=[county.branch.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_roster_lists_members_in_pinyin_order_with_category(county):
    for name in ["赵一", "艾青", "白玉兰"]:
        make_member(county.branch, name, category="D")
    response = county.client("secretary").get(reverse("branch", args=[county.branch.pk]))
    names = [m.name for m in response.context["members"]]
    assert names == ["艾青", "白玉兰", "王建国", "赵一"]
    assert "D类" in response.content.decode()


def test_member_page_masks_the_id_number_except_for_the_county(county):
    number = county.member.id_number
    masked = f"{number[:6]}********{number[-4:]}"
    page = county.client("secretary").get(reverse("member", args=[county.member.pk]))
    assert masked in page.content.decode() and number not in page.content.decode()
    page = county.client("county").get(reverse("member", args=[county.member.pk]))
    assert number in page.content.decode()


def test_secretary_adds_a_member_and_a_card_number_is_issued(county):
    id_number = make_id_number("141127", datetime.date(1980, 2, 29), 7, "F")
    response = county.client("secretary").post(
        reverse("member_create", args=[county.branch.pk]),
        {
            "name": "刘 桂 花",
            "id_number": id_number.lower(),
            "gender": "",
            "birth_date": "",
            "phone": "139 0358 1234",
            "joined_party": "2001-07-01",
            "has_plaque": "on",
            "notes": "",
            "category": "B",
            "on_roll_from": "2026-03",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    member = Member.objects.get(name="刘桂花")
    assert member.gender == "F" and member.birth_date == datetime.date(1980, 2, 29)
    assert member.phone == "13903581234"
    assert member.card_number.startswith("LX")
    assert member.category_in(datetime.date(2026, 3, 1)) == "B"
    assert member.category_in(datetime.date(2026, 2, 1)) is None


def test_a_bad_id_number_is_refused_in_chinese_and_the_form_keeps_what_was_typed(county):
    bad = county.member.id_number[:17] + ("0" if county.member.id_number[17] != "0" else "1")
    response = county.client("secretary").post(
        reverse("member_create", args=[county.branch.pk]),
        {
            "name": "刘桂花",
            "id_number": bad,
            "joined_party": "2001-07-01",
            "category": "B",
            "on_roll_from": "2026-03",
            "phone": "0358-4123456",
        },
    )
    assert response.status_code == 200
    assert "校验位" in str(response.context["form"].errors["id_number"])
    html = response.content.decode()
    assert 'value="刘桂花"' in html and 'value="0358-4123456"' in html


def test_joining_before_eighteen_is_refused(county):
    id_number = new_id_number(datetime.date(1990, 6, 1))
    response = county.client("secretary").post(
        reverse("member_create", args=[county.branch.pk]),
        {
            "name": "少年",
            "id_number": id_number,
            "joined_party": "2007-07-01",
            "category": "B",
            "on_roll_from": "2026-01",
        },
    )
    assert "十八周岁" in str(response.context["form"].errors["joined_party"])


def test_same_id_number_in_another_branch_is_refused(county):
    response = county.client("secretary").post(
        reverse("member_create", args=[county.branch.pk]),
        {
            "name": "重复",
            "id_number": county.member_z.id_number,
            "joined_party": "2001-07-01",
            "category": "B",
            "on_roll_from": "2026-01",
        },
    )
    assert response.context["form"].errors["id_number"] == [
        "该身份证号已在其他党支部登记：如需转入，请联系乡镇办理组织关系转接。"
    ]
    assert "史家庄" not in response.content.decode()


def test_category_change_takes_effect_from_its_month(county):
    response = county.client("secretary").post(
        reverse("member_category", args=[county.member.pk]),
        {"category": "D", "effective_from": "2026-07", "reason": "年老体弱"},
    )
    assert response.status_code == 302
    assert county.member.category_in(datetime.date(2026, 6, 1)) == "A"
    assert county.member.category_in(datetime.date(2026, 7, 1)) == "D"


def test_transfer_closes_the_old_roll_and_opens_the_new_one(county):
    response = county.client("secretary").post(
        reverse("member_transfer", args=[county.member.pk]),
        {"to_branch": county.branch_z.pk, "date": "2026-05-20", "reason": "随子女迁居"},
    )
    assert response.status_code == 302
    periods = list(RollPeriod.objects.filter(member=county.member).order_by("start"))
    assert [(p.branch_id, p.start, p.end) for p in periods] == [
        (county.branch.pk, datetime.date(2026, 1, 1), datetime.date(2026, 5, 1)),
        (county.branch_z.pk, datetime.date(2026, 6, 1), None),
    ]
    # The old secretary no longer sees the member.
    page = county.client("secretary").get(reverse("member", args=[county.member.pk]))
    assert page.status_code == 404


def test_leaving_records_status_date_and_last_month(county):
    response = county.client("secretary").post(
        reverse("member_leave", args=[county.member.pk]),
        {"status": "deceased", "date": "2026-04-03", "reason": "病故"},
    )
    assert response.status_code == 302
    county.member.refresh_from_db()
    assert county.member.status == "deceased"
    assert county.member.roll_periods.get().end == datetime.date(2026, 4, 1)
    assert Member.objects.on_roll(county.branch, datetime.date(2026, 5, 1)).count() == 0


def test_assessor_may_read_the_roster_but_not_change_it(county):
    client = county.client("assessor")
    assert client.get(reverse("branch", args=[county.branch.pk])).status_code == 200
    assert client.get(reverse("member_edit", args=[county.member.pk])).status_code == 404


def test_roster_costs_the_same_queries_for_5_or_60_members(county, django_assert_max_num_queries):
    client = county.client("secretary")
    url = reverse("branch", args=[county.branch.pk])
    for i in range(4):
        make_member(county.branch, f"成员{i}")
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    for i in range(56):
        make_member(county.branch, f"队员{i}")
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["members"]) == 61


def test_a_member_transferred_away_is_not_on_the_old_roll_after_the_transfer(county):
    from members import services as member_services

    member_services.member_transfer(
        member=county.member_y,
        by=system_user(),
        to_branch=county.branch,
        date=datetime.date(2026, 4, 20),
        reason="迁居",
    )
    september = datetime.date(2026, 9, 1)
    assert not Member.objects.on_roll(county.branch_y, september).filter(pk=county.member_y.pk)
    assert Member.objects.on_roll(county.branch, september).filter(pk=county.member_y.pk)
    assert Member.objects.on_roll(county.branch_y, datetime.date(2026, 4, 1)).filter(
        pk=county.member_y.pk
    )


@pytest.mark.parametrize("extra_branches", [1, 12])
def test_county_and_township_pages_cost_the_same_for_1_or_12_branches(
    county, extra_branches, django_assert_max_num_queries
):
    from members.models import Branch

    for i in range(extra_branches):
        branch = Branch.objects.create(township=county.dongcun, name=f"新建村{i}")
        make_member(branch, f"党员{i}")
    county_client, township_client = county.client("county"), county.client("township")
    # The county page also reads the last ledger verification (core.verification).
    with django_assert_max_num_queries(7):
        assert county_client.get(reverse("county")).status_code == 200
    with django_assert_max_num_queries(6):
        page = township_client.get(reverse("township", args=[county.dongcun.pk]))
    assert len(page.context["branches"]) == 2 + extra_branches


def test_home_shows_the_years_five_steps_with_their_real_state(county):
    from django.utils import timezone

    today = timezone.localdate()
    load_default_rules(year=today.year)
    response = county.client("secretary").get("/")
    steps = response.context["steps"]
    assert [s.title for s in steps] == [
        "制定细则",
        "按月申报、支委会审议",
        "季度评定",
        "年度民主评议",
        "公示、存档、积分卡",
    ]
    assert steps[0].state == "尚未登记党员大会通过的日期" and not steps[0].done
    assert steps[0].url == reverse("branch_rules", args=[county.branch.pk, today.year])
    assert steps[3].state == "民主评议 0/1 名"
    assert "1 名党员的积分卡还没有二维码" in steps[4].state
    assert "目前没有待办事项" not in response.content.decode()
