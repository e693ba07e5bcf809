"""The points card (积分卡): on screen, printed, a branch's sheet of cards, and corrections.

Data is built with the scoring services, the way the branch builds it. Today is late 2026 in
this environment and the services refuse future dates, so every date below is in the past.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members import services as member_services
from members.models import Member
from members.permissions import system_user
from scoring import services
from scoring.models import PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=YEAR)


def item(rule_set, code):
    return RuleItem.objects.get(rule_set=rule_set, code=code, branch__isnull=True)


def approve_bonus(county, rule_set, *, member=None, month=3, code="G03", points="6", day=10):
    member = member or county.member
    declaration = services.declaration_create(
        member=member,
        branch=member.branch,
        year=YEAR,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(YEAR, month, day),
        description="参加人居环境整治",
        points=Decimal(points),
        by=county.secretary_user,
    )
    return services.declaration_approve(declaration=declaration, by=county.secretary_user)


def deduct(
    county, rule_set, *, member=None, month=5, code="K01", reason="无故不参加党员大会", day=8
):
    member = member or county.member
    return services.deduction_record(
        member=member,
        branch=member.branch,
        year=YEAR,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(YEAR, month, day),
        reason=reason,
        by=county.assessor_user,
    )


def close(county, month, branch=None):
    branch_month = services.month_get_or_open(
        branch=branch or county.branch, year=YEAR, month=month
    )
    return services.month_close(
        branch_month=branch_month,
        meeting_date=datetime.date(YEAR, month, 28),
        by=county.secretary_user if branch is None else system_user(),
    )


def card_url(member, year=YEAR):
    return reverse("points_card", args=[member.pk, year])


def print_url(member, year=YEAR):
    return reverse("points_card_print", args=[member.pk, year])


def sheet_url(branch, year=YEAR):
    return reverse("branch_cards_print", args=[branch.pk, year])


def correction_url(member):
    return reverse("correction_create", args=[member.pk])


def get_card(county, persona="secretary", member=None):
    response = county.client(persona).get(card_url(member or county.member))
    assert response.status_code == 200
    return response


# --- The card on screen ------------------------------------------------------------------------


def test_a_full_year_on_the_roll_with_no_entries_is_the_category_base(county, rules_2026):
    response = get_card(county)

    card = response.context["card"]
    assert card.result.total == Decimal("88.00")
    assert [m.running for m in card.months][-1] == Decimal("88.00")
    assert card.months[0].result.base == Decimal("7.33")
    assert card.months[2].running == Decimal("22.00")
    assert all(m.category == "A" for m in card.months)
    html = response.content.decode()
    assert "88.00" in html and county.member.card_number in html
    assert "预计等次" in html and "基本合格" in html  # 88 ≥ 78 for category A
    assert "积分清零" not in html


def test_the_url_the_member_page_links_to_works():
    assert reverse("points_card", args=[7, 2026]) == "/members/7/card/2026/"


def test_a_bonus_in_march_and_a_deduction_in_may_show_in_their_months_and_running_total(
    county, rules_2026
):
    approve_bonus(county, rules_2026, month=3, points="6")
    deduct(county, rules_2026, month=5)

    response = get_card(county, "assessor")

    card = response.context["card"]
    march, april, may = card.months[2], card.months[3], card.months[4]
    assert march.result.bonus == Decimal("6.00") and march.result.total == Decimal("13.33")
    assert march.running == Decimal("28.00")
    assert april.running == Decimal("35.33")
    assert may.result.deductions == Decimal("-2.00")
    assert may.running == Decimal("40.67")
    assert card.result.total == Decimal("92.00")
    q1, q2 = card.quarters[0][2], card.quarters[1][2]
    assert q1.total == Decimal("28.00") and q2.total == Decimal("20.00")
    html = response.content.decode()
    assert "第一季度小计" in html and "第四季度小计" in html
    # the entry list shows item, reason and who entered it, to the whole branch
    assert "G03" in html and "K01" in html
    assert "无故不参加党员大会" in html and "参加人居环境整治" in html
    assert "assessor" in html and "secretary" in html


def test_waiting_and_returned_declarations_are_listed_apart_and_not_counted(county, rules_2026):
    waiting = services.declaration_create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=10,
        item=item(rules_2026, "G02"),
        occurred_on=datetime.date(YEAR, 10, 3),
        description="义务植树",
        by=county.secretary_user,
    )
    returned = services.declaration_create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=10,
        item=item(rules_2026, "G07"),
        occurred_on=datetime.date(YEAR, 10, 4),
        description="建议修路",
        by=county.secretary_user,
    )
    services.declaration_return(declaration=returned, by=county.secretary_user, reason="未被采纳")

    response = get_card(county, "township")

    assert response.context["waiting"] == [waiting]
    assert response.context["returned"] == [returned]
    assert response.context["entries"] == []
    assert response.context["card"].result.total == Decimal("88.00")
    html = response.content.decode()
    assert "待审议的申报" in html and "义务植树" in html
    assert "已退回的申报" in html and "未被采纳" in html


def test_a_clearing_item_shows_points_cleared_and_a_zero_year(county, rules_2026):
    approve_bonus(county, rules_2026, month=3, points="10")
    services.clearing_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=7,
        item=item(rules_2026, "Q4"),
        occurred_on=datetime.date(YEAR, 7, 20),
        reason="参与赌博被处罚",
        confirmed=True,
        by=county.secretary_user,
    )

    response = get_card(county)

    card = response.context["card"]
    assert card.result.cleared and card.result.total == Decimal("0.00")
    assert card.grade_label == "不合格"
    html = response.content.decode()
    assert "积分清零" in html and 'class="pc-cleared"' in html
    printed = county.client("secretary").get(print_url(county.member)).content.decode()
    assert "积分清零" in printed and "0.00" in printed
    assert "参与赌博被处罚" not in printed


def test_only_months_on_the_roll_earn_the_base_share(county, rules_2026):
    late = make_member(county.branch, "赵六", category="D", on_roll_from=datetime.date(2026, 7, 1))

    card = get_card(county, member=late).context["card"]

    assert [m.on_roll for m in card.months] == [False] * 6 + [True] * 6
    assert card.result.total == Decimal("32.00")  # 6 × 64/12
    assert card.months[5].running == Decimal("0.00")


def test_a_year_without_published_rules_is_a_plain_message(county, rules_2026):
    response = county.client("secretary").get(card_url(county.member, 2025))

    assert response.status_code == 200
    assert "2025年的积分细则尚未发布" in response.content.decode()
    response = county.client("secretary").get(print_url(county.member, 2025))
    assert "尚未发布" in response.content.decode()
    response = county.client("secretary").get(sheet_url(county.branch, 2025))
    assert "尚未发布" in response.content.decode()


def test_year_navigation_links_to_the_previous_year_but_not_past_this_year(county, rules_2026):
    html = get_card(county).content.decode()

    assert f'href="{card_url(county.member, 2025)}"' in html
    assert card_url(county.member, 2027) not in html


def test_absurd_years_are_not_pages(county, rules_2026):
    url = f"/members/{county.member.pk}/card/99999/"  # no URL is reversed for such a year
    assert county.client("secretary").get(url).status_code == 404


def test_the_secretary_is_offered_corrections_and_the_assessor_is_not(county, rules_2026):
    assert correction_url(county.member) in get_card(county, "secretary").content.decode()
    assert correction_url(county.member) not in get_card(county, "assessor").content.decode()


# --- Who sees the card --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["secretary_y", "township_2"])
def test_outsiders_get_404_on_the_card_the_print_and_the_correction_form(
    county, rules_2026, persona
):
    client = county.client(persona)
    urls = [card_url(county.member), print_url(county.member), sheet_url(county.branch)]
    for url in [*urls, correction_url(county.member)]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"month": "2026-03", "points": "1", "reason": "x"}).status_code == (
            404
        ), url


def test_the_card_pages_are_read_only_for_those_who_may_see_them(county, rules_2026):
    client = county.client("secretary")
    for url in (card_url(county.member), print_url(county.member), sheet_url(county.branch)):
        assert client.post(url, {}).status_code == 405, url


def test_a_logged_out_visitor_never_sees_a_card(client, county, rules_2026):
    response = client.get(card_url(county.member))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- The printed card ---------------------------------------------------------------------------


def test_the_printed_card_shows_name_number_and_total_but_nothing_private(county, rules_2026):
    Member.objects.filter(pk=county.member.pk).update(phone="13903581234")
    member = Member.objects.get(pk=county.member.pk)
    approve_bonus(county, rules_2026, month=3, points="6")
    deduct(county, rules_2026, month=5, reason="无故缺席五月主题党日的具体事由")

    response = county.client("secretary").get(print_url(member))

    assert response.status_code == 200
    html = response.content.decode()
    assert member.name in html and member.card_number in html
    today = timezone.localdate()
    if (today.year, today.month) >= (2026, 12):
        assert "全年合计" in html and "92.00" in html  # 88 + 6 − 2
    else:  # a printed card shows what has been earned so far, not the months to come
        earned = (Decimal(88) * today.month / 12 + 4).quantize(Decimal("0.01"))
        assert f"本年累计（截至{today.month}月）" in html and f"{earned}" in html
        assert "92.00" not in html
    assert "40.67" in html  # May's running total
    assert "东村镇" in html and "东阳涧村党支部" in html and "A类" in html
    assert member.id_number not in html and member.masked_id_number not in html
    assert member.id_number[-4:] not in html
    assert "13903581234" not in html
    assert "1970-05-17" not in html and "1970年5月17日" not in html
    assert "无故缺席五月主题党日的具体事由" not in html
    assert "参加人居环境整治" not in html
    assert 'class="topbar no-print"' in html  # navigation hidden in print


def test_the_branch_sheet_lists_every_member_on_the_roll_that_year(county, rules_2026):
    others = [make_member(county.branch, name, category="B") for name in ("艾青", "白玉兰")]
    leaver = make_member(county.branch, "钱七", category="C")
    member_services.member_leave(
        member=leaver,
        by=county.secretary_user,
        status=Member.Status.DECEASED,
        date=datetime.date(2026, 2, 10),
        reason="病故",
    )
    member_services.member_transfer(
        member=county.member_y,
        by=county.secretary_y_user,
        to_branch=county.branch,
        date=datetime.date(2026, 5, 15),
        reason="迁居",
    )

    response = county.client("secretary").get(sheet_url(county.branch))

    assert response.status_code == 200
    names = [card.member.name for page in response.context["pages"] for card in page]
    assert sorted(names) == sorted(
        [county.member.name, leaver.name, county.member_y.name] + [m.name for m in others]
    )
    assert county.member_z.name not in names
    assert [len(page) for page in response.context["pages"]] == [4, 1]
    html = response.content.decode()
    assert html.count('class="pcard"') == 5
    assert county.member.id_number not in html
    # the neighbour branch prints the transferred member too (on its roll January–May)
    response = county.client("secretary_y").get(sheet_url(county.branch_y))
    names = [card.member.name for page in response.context["pages"] for card in page]
    assert names == [county.member_y.name]


# --- Query counts -------------------------------------------------------------------------------

# session, user, official, member, the version in force, roll periods, category changes, ledger
# entries (the arithmetic), the months' versions and their base scores, the annual version
# (assessment), its rule set and category rules, ledger entries with item/author/branch (the
# list), declarations, the roll's branches by month and their names, branch months, the
# official's branch (menu).
CARD_QUERIES = 19
# session, user, official, branch, the version in force, members on the roll, roll periods,
# category changes, ledger entries, the months' versions and their base scores, the annual
# version (assessment), its rule set and category rules, the official's branch (menu).
SHEET_QUERIES = 15


def add_entries(county, rule_set, count, member=None):
    for n in range(count):
        month, day = n % 10 + 1, n // 10 + 1  # no two alike: a repeat would ask to confirm
        if n % 2:
            deduct(county, rule_set, member=member, month=month, code="K04", day=day)
        else:
            approve_bonus(
                county, rule_set, member=member, month=month, code="G02", points="1", day=day
            )


@pytest.mark.parametrize("entries", [2, 40])
def test_the_card_costs_the_same_queries_for_2_or_40_entries(
    county, rules_2026, django_assert_max_num_queries, entries
):
    add_entries(county, rules_2026, entries)
    client = county.client("assessor")

    with django_assert_max_num_queries(CARD_QUERIES):
        response = client.get(card_url(county.member))

    assert len(response.context["entries"]) == entries


@pytest.mark.parametrize("members", [5, 60])
def test_the_branch_sheet_costs_the_same_queries_for_5_or_60_members(
    county, rules_2026, django_assert_max_num_queries, members
):
    added = [make_member(county.branch, f"党员{n:02d}") for n in range(members - 1)]
    add_entries(county, rules_2026, 4, member=added[0])
    client = county.client("secretary")

    with django_assert_max_num_queries(SHEET_QUERIES):
        response = client.get(sheet_url(county.branch))

    assert response.context["count"] == members


# --- Corrections --------------------------------------------------------------------------------


def test_the_form_offers_only_closed_months(county, rules_2026):
    close(county, 3)
    services.month_get_or_open(branch=county.branch, year=YEAR, month=4)  # open
    close(county, 2, branch=county.branch_y)  # another branch's closed month

    response = county.client("secretary").get(correction_url(county.member))

    assert response.status_code == 200
    choices = [value for value, _ in response.context["form"].fields["month"].choices if value]
    assert choices == ["2026-03"]


def test_a_correction_against_a_closed_month_is_marked_and_changes_the_total(county, rules_2026):
    approve_bonus(county, rules_2026, month=3, points="6")
    close(county, 3)
    client = county.client("secretary")

    response = client.post(
        correction_url(county.member),
        {"month": "2026-03", "points": "-2.5", "reason": "3月清化收任务分值认定有误，支委会复核"},
    )

    assert response.status_code == 302
    assert response.url == card_url(county.member)
    entry = PointsEntry.objects.get(kind=PointsEntry.Kind.CORRECTION)
    assert (entry.month, entry.points, entry.created_by) == (
        3,
        Decimal("-2.50"),
        county.secretary_user,
    )
    page = client.get(response.url)
    card = page.context["card"]
    assert card.months[2].result.corrections == Decimal("-2.50")
    assert card.result.total == Decimal("91.50")
    html = page.content.decode()
    assert "更正" in html and 'class="badge warn">更正' in html
    assert "3月清化收任务分值认定有误" in html
    assert "已为王建国登记2026年3月的更正" in html


def test_full_width_points_are_understood(county, rules_2026):
    close(county, 3)
    response = county.client("secretary").post(
        correction_url(county.member), {"month": "2026-03", "points": "＋１．５", "reason": "补记"}
    )
    assert response.status_code == 302
    assert PointsEntry.objects.get().points == Decimal("1.50")


def test_an_open_month_is_refused_with_a_message(county, rules_2026):
    close(county, 3)
    services.month_get_or_open(branch=county.branch, year=YEAR, month=4)

    response = county.client("secretary").post(
        correction_url(county.member), {"month": "2026-04", "points": "2", "reason": "补记"}
    )

    assert response.status_code == 200
    assert "尚未结账" in str(response.context["form"].errors["month"])
    assert not PointsEntry.objects.exists()


def test_a_post_with_no_closed_month_at_all_shows_the_refusal(county, rules_2026):
    response = county.client("secretary").post(
        correction_url(county.member), {"month": "2026-04", "points": "2", "reason": "补记"}
    )
    assert response.status_code == 200
    assert "尚未结账" in response.content.decode()
    assert not PointsEntry.objects.exists()


def test_a_correction_needs_a_reason_and_keeps_what_was_typed(county, rules_2026):
    close(county, 3)

    response = county.client("secretary").post(
        correction_url(county.member), {"month": "2026-03", "points": "-1.25", "reason": "   "}
    )

    assert response.status_code == 200
    assert "请写明更正理由" in str(response.context["form"].errors["reason"])
    html = response.content.decode()
    assert 'value="-1.25"' in html
    assert '<option value="2026-03" selected>' in html
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("0", "不能为 0"),
        ("0.00", "不能为 0"),
        ("1.234", "两位小数"),
        ("两分", "请输入数字"),
        ("", "请填写"),
    ],
)
def test_bad_points_are_refused_in_chinese(county, rules_2026, points, message):
    close(county, 3)

    response = county.client("secretary").post(
        correction_url(county.member), {"month": "2026-03", "points": points, "reason": "补记"}
    )

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["points"])
    assert "补记" in response.content.decode()
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize("persona", ["assessor", "township", "county", "secretary_y"])
def test_only_the_branch_secretary_may_correct(county, rules_2026, persona):
    close(county, 3)
    client = county.client(persona)

    assert client.get(correction_url(county.member)).status_code == 404
    response = client.post(
        correction_url(county.member), {"month": "2026-03", "points": "2", "reason": "补记"}
    )
    assert response.status_code == 404
    assert not PointsEntry.objects.exists()


def test_the_card_links_a_closed_month_to_a_preselected_correction(county, rules_2026):
    close(county, 3)

    html = get_card(county).content.decode()
    link = f"{correction_url(county.member)}?month=2026-03"
    assert link in html
    form_html = county.client("secretary").get(link).content.decode()
    assert '<option value="2026-03" selected>' in form_html
