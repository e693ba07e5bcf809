"""The branch's month screen: declarations, review, deductions, clearing, closing (steps 2–3)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scoring import services
from scoring.models import BranchMonth, Declaration, DeclarationLog, PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 3


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=2026)


def month_url(county, name="month", month=MONTH, branch=None):
    return reverse(name, args=[(branch or county.branch).pk, YEAR, month])


def declare(county, **fields):
    data = {
        "declaration-member": county.member.name,
        "declaration-item": "G03",
        "declaration-occurred_on": "2026-03-12",
        "declaration-description": "人居环境整治，清理村道垃圾",
        "declaration-points": "6",
    }
    data.update({f"declaration-{k}": v for k, v in fields.items()})
    return county.client("secretary").post(month_url(county, "declaration_create"), data)


def item(code):
    return RuleItem.objects.get(code=code, branch__isnull=True, rule_set__county__name="岚县")


def test_month_screen_lists_members_on_the_roll_with_their_base_share(county, rules_2026):
    make_member(county.branch, "白玉兰", category="D")
    make_member(county.branch, "晚来者", on_roll_from=datetime.date(2026, 4, 1))
    response = county.client("secretary").get(month_url(county))
    assert response.status_code == 200
    rows = {row["member"].name: row for row in response.context["rows"]}
    assert set(rows) == {"白玉兰", "王建国"}  # 晚来者 joins in April
    assert rows["王建国"]["month"].base == Decimal("7.33")  # 88 / 12
    assert rows["白玉兰"]["month"].base == Decimal("5.33")  # 64 / 12
    # The quarter so far: January to March for category A = 22.00
    assert rows["王建国"]["quarter"].total == Decimal("22.00")


def test_a_declaration_typed_by_item_code_is_saved_and_waits_for_review(county, rules_2026):
    response = declare(county, item="g03")
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert (declaration.item.code, declaration.points_claimed) == ("G03", Decimal("6"))
    assert declaration.status == Declaration.Status.SUBMITTED
    assert not PointsEntry.objects.exists()  # not points until the committee approves


def test_fixed_items_take_their_points_without_typing(county, rules_2026):
    assert declare(county, item="G02", points="").status_code == 302
    assert Declaration.objects.get().points_claimed == Decimal("1")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"points": "12"}, "points", "2～10"),
        ({"occurred_on": "2026-04-02"}, "occurred_on", "2026年3月之内"),
        ({"member": "不存在的人"}, "member", "请从列表中选择"),
        ({"item": "K01"}, "item", "项目编号"),
        ({"description": ""}, "description", "必填"),
    ],
)
def test_bad_declarations_are_refused_next_to_the_field_and_keep_what_was_typed(
    county, rules_2026, fields, field, message
):
    response = declare(county, **fields)
    assert response.status_code == 200
    form = response.context["forms"]["declaration"]
    assert message in str(form.errors[field])
    assert "人居环境整治" in response.content.decode() or fields.get("description") == ""
    assert not Declaration.objects.exists()


def test_an_item_switched_off_by_the_branch_is_refused(county, rules_2026):
    services.branch_adopt(
        branch=county.branch,
        rule_set=rules_2026,
        adopted_on=datetime.date(2026, 1, 10),
        disabled_items=[item("G07")],
        by=county.secretary_user,
    )
    response = declare(county, item="G07", points="")
    assert "项目编号" in str(response.context["forms"]["declaration"].errors["item"])


def test_a_member_not_on_the_roll_that_month_cannot_be_picked(county, rules_2026):
    make_member(county.branch, "晚来者", on_roll_from=datetime.date(2026, 4, 1))
    response = declare(county, member="晚来者")
    assert "请从列表中选择" in str(response.context["forms"]["declaration"].errors["member"])
    with pytest.raises(ValidationError, match="不在本支部党员名册上"):
        services.declaration_create(
            member=county.branch.members.get(name="晚来者"),
            branch=county.branch,
            year=YEAR,
            month=MONTH,
            item=item("G02"),
            occurred_on=datetime.date(2026, 3, 3),
            description="志愿服务",
            by=county.secretary_user,
        )


def test_a_photo_must_be_a_real_jpeg_or_png(county, rules_2026):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg")
    response = declare(county, photo=fake)
    assert "JPEG 或 PNG" in str(response.context["forms"]["declaration"].errors["photo"])
    # A PNG signature followed by zeros is not a photo (tests/test_photos.py has more).
    header_only = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    response = declare(county, photo=header_only)
    assert "JPEG 或 PNG" in str(response.context["forms"]["declaration"].errors["photo"])
    stream = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 160, 30)).save(stream, "PNG")
    png = SimpleUploadedFile("现场.png", stream.getvalue(), "image/png")
    assert declare(county, photo=png).status_code == 302
    declaration = Declaration.objects.get()
    photo = county.client("assessor").get(reverse("declaration_photo", args=[declaration.pk]))
    # Every photo is stored re-encoded as a JPEG.
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    other = county.client("secretary_y").get(reverse("declaration_photo", args=[declaration.pk]))
    assert other.status_code == 404


def review(county, declaration, persona="secretary", **data):
    url = reverse("declaration_review", args=[declaration.pk])
    return county.client(persona).post(url, data)


def test_approving_writes_one_bonus_entry_at_the_claimed_points(county, rules_2026):
    declare(county)
    declaration = Declaration.objects.get()
    assert review(county, declaration, "assessor", action="approve", points="6").status_code == 302
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.month) == ("bonus", Decimal("6.00"), 3)
    assert entry.rule_set == rules_2026 and entry.item.code == "G03"
    assert [log.to_status for log in declaration.logs.all()] == ["submitted", "approved"]


def test_adjusting_points_needs_a_reason_and_stays_within_the_range(county, rules_2026):
    declare(county)
    declaration = Declaration.objects.get()
    response = review(county, declaration, action="approve", points="4")
    assert "理由" in str(response.context["form"].errors["reason"])
    response = review(county, declaration, action="approve", points="11", reason="贡献大")
    assert "2～10" in str(response.context["form"].errors["points"])
    review(county, declaration, action="approve", points="4", reason="只参加了半天")
    declaration.refresh_from_db()
    assert declaration.points_approved == Decimal("4")
    assert PointsEntry.objects.get().points == Decimal("4")


def test_returning_needs_a_reason_and_a_returned_declaration_cannot_be_approved(county, rules_2026):
    declare(county)
    declaration = Declaration.objects.get()
    response = review(county, declaration, action="return", reason="")
    assert "理由" in str(response.context["form"].errors["reason"])
    review(county, declaration, action="return", reason="无佐证材料")
    with pytest.raises(ValidationError, match="已被他人处理"):
        services.declaration_approve(declaration=declaration, by=county.secretary_user)
    assert not PointsEntry.objects.exists()


def test_many_declarations_are_approved_at_once(county, rules_2026):
    other = make_member(county.branch, "白玉兰")
    declare(county)
    declare(county, member="白玉兰", item="G02", points="")
    ids = list(Declaration.objects.values_list("pk", flat=True))
    response = county.client("secretary").post(
        month_url(county, "declarations_approve"), {"declaration": ids}
    )
    assert response.status_code == 302
    assert sorted(PointsEntry.objects.values_list("member__name", "points")) == sorted(
        [("王建国", Decimal("6.00")), (other.name, Decimal("1.00"))]
    )


def deduct(county, persona="secretary", **fields):
    data = {
        "deduction-member": county.member.name,
        "deduction-item": "K01",
        "deduction-occurred_on": "2026-03-05",
        "deduction-reason": "无故缺席3月党员大会",
    }
    data.update({f"deduction-{k}": v for k, v in fields.items()})
    return county.client(persona).post(month_url(county, "deduction_create"), data)


def test_a_deduction_takes_the_items_points_and_lowers_the_quarter(county, rules_2026):
    assert deduct(county).status_code == 302
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points) == ("deduction", Decimal("-2.00"))
    page = county.client("secretary").get(month_url(county))
    row = page.context["rows"][0]
    assert row["quarter"].total == Decimal("20.00")  # 22.00 base − 2


def test_attendance_deductions_do_not_apply_to_category_d(county, rules_2026):
    make_member(county.branch, "白玉兰", category="D")
    response = deduct(county, member="白玉兰")
    assert "不适用于D类党员" in str(response.context["forms"]["deduction"].errors["item"])
    assert deduct(county, member="白玉兰", item="K04", reason="3月党费未交").status_code == 302


def test_a_deduction_without_a_reason_is_refused(county, rules_2026):
    response = deduct(county, reason="")
    assert response.context["forms"]["deduction"].errors["reason"]
    assert not PointsEntry.objects.exists()


def clear(county, persona="secretary", **fields):
    data = {
        "clearing-member": county.member.name,
        "clearing-item": "Q4",
        "clearing-occurred_on": "2026-03-20",
        "clearing-reason": "参与赌博被行政处罚",
        "clearing-confirmed": "on",
    }
    data.update({f"clearing-{k}": v for k, v in fields.items()})
    return county.client(persona).post(month_url(county, "clearing_create"), data)


def test_only_the_secretary_records_a_clearing_item_and_must_confirm_it(county, rules_2026):
    assert clear(county, "assessor").status_code == 404
    response = clear(county, confirmed="")
    assert "确认" in str(response.context["forms"]["clearing"].errors["confirmed"])
    assert clear(county).status_code == 302
    assert PointsEntry.objects.get().kind == "clearing"


def close(county, meeting_date="2026-04-03", persona="secretary"):
    return county.client(persona).post(
        month_url(county, "month_close"), {"meeting_date": meeting_date}
    )


def test_the_month_cannot_close_while_declarations_wait(county, rules_2026):
    declare(county)
    response = close(county)
    assert "待审议" in str(response.context["forms"]["close"].non_field_errors())
    assert BranchMonth.objects.get().is_open


def test_a_closed_month_refuses_new_entries_and_a_second_close(county, rules_2026):
    county.client("secretary").get(month_url(county))  # opens the month
    assert close(county).status_code == 302
    branch_month = BranchMonth.objects.get()
    assert (branch_month.status, branch_month.meeting_date) == ("closed", datetime.date(2026, 4, 3))
    assert branch_month.logs.get().by == county.secretary_user
    # The entry forms are gone, and a POST that was already on its way is refused.
    page = county.client("secretary").get(month_url(county))
    assert "deduction" not in page.context["forms"]
    response = deduct(county)
    assert "已于支委会结账" in str(response.context["forms"]["deduction"].non_field_errors())
    with pytest.raises(ValidationError, match="已经结账"):
        services.month_close(
            branch_month=branch_month,
            meeting_date=datetime.date(2026, 4, 3),
            by=county.secretary_user,
        )


def test_approving_in_a_month_that_was_just_closed_is_refused(county, rules_2026):
    declare(county)
    declaration = Declaration.objects.get()
    # Someone else closed the month a moment ago (bypassing the "waiting" check).
    BranchMonth.objects.filter(pk=BranchMonth.objects.get().pk).update(
        status="closed", meeting_date=datetime.date(2026, 4, 1), closed_at="2026-04-01T10:00Z"
    )
    with pytest.raises(ValidationError, match="已于支委会结账"):
        services.declaration_approve(declaration=declaration, by=county.secretary_user)
    assert not PointsEntry.objects.exists()
    assert DeclarationLog.objects.filter(to_status="approved").count() == 0


def test_the_ledger_is_append_only(county, rules_2026):
    deduct(county)
    entry = PointsEntry.objects.get()
    entry.points = Decimal("-1")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        PointsEntry.objects.filter(pk=entry.pk).update(points=Decimal("-1"))
    with pytest.raises(TypeError):
        PointsEntry.objects.all().delete()
    assert PointsEntry.objects.get().points == Decimal("-2.00")


def test_the_future_month_does_not_exist(county, rules_2026):
    response = county.client("secretary").get(reverse("month", args=[county.branch.pk, 2027, 1]))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["township", "county", "assessor"])
def test_readers_see_the_month_and_only_the_branch_may_write(county, rules_2026, persona):
    client = county.client(persona)
    assert client.get(month_url(county)).status_code == 200
    if persona != "assessor":
        assert deduct(county, persona).status_code == 404
        assert close(county, persona=persona).status_code == 404


def test_another_branch_answers_404_on_every_month_url(county, rules_2026):
    client = county.client("secretary_y")
    for name in [
        "month",
        "declaration_create",
        "deduction_create",
        "clearing_create",
        "declarations_approve",
        "month_close",
    ]:
        url = month_url(county, name)
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name
    assert county.client("township_2").get(month_url(county)).status_code == 404


@pytest.mark.parametrize("extra_members", [4, 149])
def test_month_screen_query_count_does_not_grow_with_the_branch(
    county, rules_2026, extra_members, django_assert_max_num_queries
):
    for i in range(extra_members):
        member = make_member(county.branch, f"党员{i:03d}")
        if i % 3 == 0:
            services.deduction_record(
                member=member,
                branch=county.branch,
                year=YEAR,
                month=MONTH,
                item=item("K04"),
                occurred_on=datetime.date(2026, 3, 2),
                reason="党费",
                by=county.secretary_user,
            )
            services.declaration_create(
                member=member,
                branch=county.branch,
                year=YEAR,
                month=MONTH,
                item=item("G02"),
                occurred_on=datetime.date(2026, 3, 2),
                description="义务劳动",
                by=county.secretary_user,
            )
    client = county.client("secretary")
    # Also the months' versions and their base scores, and the version in force (DOMAIN §3.8).
    with django_assert_max_num_queries(19):
        response = client.get(month_url(county))
    assert len(response.context["rows"]) == extra_members + 1
