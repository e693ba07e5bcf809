"""The secretary's month at speed: one activity for many members, a meeting's roll call, approving
everything waiting, reviewing one after another, editing or withdrawing a waiting entry, dates
typed the way people type them, and the saved entry announced beside the form."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.forms import DayInMonthField
from scoring import services
from scoring.models import Attendance, BranchMonth, Declaration, DeclarationLog, Meeting
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 3


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=2026)


@pytest.fixture
def roll(county, rules_2026):
    """王建国 (A) plus five more; 白玉兰 is category D (no attendance duty)."""
    others = [make_member(county.branch, name) for name in ("刘海", "陈芳", "赵强", "孙丽")]
    old = make_member(county.branch, "白玉兰", category="D")
    return [county.member, *others, old]


def url(county, name, month=MONTH):
    return reverse(name, args=[county.branch.pk, YEAR, month])


def page(county):
    return county.client("secretary").get(url(county, "month"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-03-12", datetime.date(2026, 3, 12)),
        ("20260312", datetime.date(2026, 3, 12)),
        ("3-12", datetime.date(2026, 3, 12)),
        ("3月12日", datetime.date(2026, 3, 12)),
        ("１２", datetime.date(2026, 3, 12)),  # full-width digits from a Chinese keyboard
        ("12", datetime.date(2026, 3, 12)),
    ],
)
def test_dates_are_read_as_people_type_them(typed, expected):
    assert DayInMonthField(year=YEAR, month=MONTH).clean(typed) == expected


def test_a_day_that_does_not_exist_gets_a_chinese_message():
    with pytest.raises(Exception) as error:
        DayInMonthField(year=YEAR, month=2).clean("2-30")
    assert "例如" in str(error.value)


def test_the_entry_form_asks_for_the_date_last(county, rules_2026):
    form = page(county).context["forms"]["declaration"]
    visible = [field.name for field in form.visible_fields()]
    assert visible[0] == "member" and visible[-1] == "occurred_on"


def test_one_activity_for_many_members_makes_one_declaration_each(county, roll):
    client = county.client("secretary")
    response = client.post(
        url(county, "activity_create"),
        {
            "activity-item": "G03",
            "activity-description": "主题党日义务清扫村道",
            "activity-points": "3",
            "activity-members": [str(roll[0].pk), str(roll[1].pk)],
            "activity-names": "陈芳、赵强",
            "activity-occurred_on": "3-20",
        },
    )
    assert response.status_code == 302
    made = Declaration.objects.order_by("member__name")
    assert sorted(d.member.name for d in made) == sorted(["王建国", "刘海", "陈芳", "赵强"])
    assert {d.source for d in made} == {Declaration.Source.ACTIVITY}
    assert {d.status for d in made} == {Declaration.Status.SUBMITTED}
    follow = client.get(response["Location"])
    assert "已为 4 名党员录入G03" in follow.content.decode()
    assert 'class="saved-note"' in follow.content.decode()


def test_an_unknown_pasted_name_saves_nothing_and_keeps_what_was_typed(county, roll):
    response = county.client("secretary").post(
        url(county, "activity_create"),
        {
            "activity-item": "G03",
            "activity-description": "义务植树",
            "activity-points": "3",
            "activity-names": "陈芳、不在册的人",
            "activity-occurred_on": "2026-03-20",
        },
    )
    assert response.status_code == 200
    assert not Declaration.objects.exists()
    form = response.context["forms"]["activity"]
    assert "本月名册上没有：不在册的人" in str(form.errors["names"])
    assert "义务植树" in response.content.decode()


def test_a_meeting_proposes_deductions_for_unexcused_absences_only(county, roll):
    _wang, liu, chen, zhao, _sun, bai = roll
    data = {
        "meeting-kind": Meeting.Kind.THEME_DAY,
        "meeting-held_on": "20260315",
        "meeting-topic": "学习党章",
    }
    for member in roll:
        data[f"meeting-att_{member.pk}"] = Attendance.Status.PRESENT
    data[f"meeting-att_{liu.pk}"] = Attendance.Status.ABSENT
    data[f"meeting-att_{chen.pk}"] = Attendance.Status.ABSENT
    data[f"meeting-att_{bai.pk}"] = Attendance.Status.ABSENT  # category D: no deduction
    data[f"meeting-att_{zhao.pk}"] = Attendance.Status.EXCUSED
    data[f"meeting-why_{zhao.pk}"] = "外出务工"
    client = county.client("secretary")
    response = client.post(url(county, "meeting_create"), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.counts() == {"present": 2, "excused": 1, "absent": 3, "proposed": 2}
    proposals = Declaration.objects.filter(source=Declaration.Source.ATTENDANCE)
    assert sorted(p.member.name for p in proposals) == ["刘海", "陈芳"]
    assert {p.item.code for p in proposals} == {"K02"}
    assert {p.status for p in proposals} == {Declaration.Status.SUBMITTED}
    follow = client.get(response["Location"])
    assert "出席 2，请假 1，缺席 3；提出扣分 2 条" in follow.content.decode()


def test_an_excused_absence_needs_its_reason(county, roll):
    data = {"meeting-kind": Meeting.Kind.GENERAL, "meeting-held_on": "2026-03-15"}
    for member in roll:
        data[f"meeting-att_{member.pk}"] = Attendance.Status.PRESENT
    data[f"meeting-att_{roll[1].pk}"] = Attendance.Status.EXCUSED
    response = county.client("secretary").post(url(county, "meeting_create"), data)
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    assert "请写明请假事由：刘海" in response.content.decode()


def _waiting(county, roll, count=3):
    for member in roll[:count]:
        services.declaration_create(
            member=member,
            branch=county.branch,
            year=YEAR,
            month=MONTH,
            item=services.RuleItem.objects.get(
                code="G03", branch__isnull=True, rule_set__county__name="岚县"
            ),
            occurred_on=datetime.date(YEAR, MONTH, 10),
            description="清理村道",
            points=Decimal("4"),
            by=county.secretary_user,
        )
    return list(Declaration.objects.order_by("pk"))


def test_approve_all_approves_every_waiting_entry_at_its_points(county, roll):
    _waiting(county, roll)
    response = county.client("secretary").post(url(county, "declarations_approve_all"))
    assert response.status_code == 302
    assert set(Declaration.objects.values_list("status", "points_approved")) == {
        (Declaration.Status.APPROVED, Decimal("4"))
    }


def test_reviewing_one_goes_on_to_the_next_waiting(county, roll):
    first, second, third = _waiting(county, roll)
    client = county.client("secretary")
    response = client.post(reverse("declaration_review", args=[first.pk]), {"action": "approve"})
    assert response["Location"] == reverse("declaration_review", args=[second.pk])
    response = client.post(
        reverse("declaration_review", args=[second.pk]),
        {"action": "withdraw", "reason": "录重了"},
    )
    assert response["Location"] == reverse("declaration_review", args=[third.pk])
    second.refresh_from_db()
    assert second.status == Declaration.Status.WITHDRAWN
    assert DeclarationLog.objects.filter(declaration=second, reason="录重了").exists()
    response = client.post(reverse("declaration_review", args=[third.pk]), {"action": "approve"})
    assert response["Location"] == url(county, "month")


def test_a_waiting_entry_can_be_edited_and_the_change_is_logged(county, roll):
    (first, *_) = _waiting(county, roll, count=1)
    client = county.client("secretary")
    response = client.post(
        reverse("declaration_edit", args=[first.pk]),
        {"description": "清理村道和排水沟", "points": "5", "occurred_on": "3-11"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.description, first.points_claimed) == ("清理村道和排水沟", Decimal("5"))
    assert first.occurred_on == datetime.date(2026, 3, 11)
    assert DeclarationLog.objects.filter(declaration=first, reason__startswith="修改前").exists()


def test_another_branch_cannot_edit(county, roll):
    (first, *_) = _waiting(county, roll, count=1)
    response = county.client("secretary_y").get(reverse("declaration_edit", args=[first.pk]))
    assert response.status_code == 404


def test_closing_can_approve_everything_waiting_in_the_same_step(county, roll):
    _waiting(county, roll)
    response = county.client("secretary").post(
        url(county, "month_close"),
        {"meeting_date": "2026-03-31", "approve_waiting": "on"},
    )
    assert response.status_code == 302
    assert BranchMonth.objects.get(branch=county.branch, month=MONTH).status == "closed"
    assert not Declaration.objects.filter(status=Declaration.Status.SUBMITTED).exists()


def test_members_without_entries_are_folded_away(county, roll):
    _waiting(county, roll, count=2)
    response = page(county)
    assert [row["member"].name for row in response.context["active_rows"]] == ["刘海", "王建国"]
    assert len(response.context["quiet_rows"]) == 4
    assert "其余 4 名党员" in response.content.decode()


def test_the_reviewer_is_named_with_their_role_not_their_login(county, roll):
    county.secretary_user.first_name = "王丽"
    county.secretary_user.save()
    (first, *_) = _waiting(county, roll, count=1)
    response = county.client("secretary").get(reverse("declaration_review", args=[first.pk]))
    assert "王丽 · 村党支部书记" in response.content.decode()


def _filled_template(county, rows):
    import io

    from openpyxl import load_workbook

    client = county.client("secretary")
    response = client.get(url(county, "month_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    for name, code, text, points, day in rows:
        for line in sheet.iter_rows(min_row=2):
            if line[0].value == name and not line[2].value:
                line[2].value, line[3].value, line[4].value, line[5].value = code, text, points, day
                break
        else:
            sheet.append([name, "", code, text, points, day])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "三月申报.xlsx"
    return client, out


def test_a_month_imports_from_the_filled_template_after_a_preview(county, roll):
    client, upload = _filled_template(
        county,
        [
            ("刘海", "G03", "清理村道", 4, "3-10"),
            ("陈芳", "g02", "参加志愿服务", None, "2026-03-11"),
        ],
    )
    preview = client.post(url(county, "month_import"), {"file": upload})
    assert preview.status_code == 200 and not Declaration.objects.exists()
    assert "确认导入 2 条" in preview.content.decode()
    confirm = {
        "payload": preview.context["payload"],
        "submission_key": preview.context["confirm_key"],
    }
    response = client.post(url(county, "month_import"), confirm)
    assert response.status_code == 302
    assert Declaration.objects.filter(source=Declaration.Source.IMPORT).count() == 2
    again = client.post(url(county, "month_import"), confirm)  # the same confirmation twice
    assert again.status_code == 302
    assert Declaration.objects.count() == 2


def test_an_import_with_a_bad_row_saves_nothing_and_says_which_row(county, roll):
    client, upload = _filled_template(
        county, [("刘海", "G03", "清理村道", 4, "3-10"), ("查无此人", "G03", "清理", 4, "3-10")]
    )
    preview = client.post(url(county, "month_import"), {"file": upload})
    page = preview.content.decode()
    assert "名册上没有“查无此人”" in page and "确认导入" not in page
    assert not Declaration.objects.exists()


def test_the_month_exports_every_entry_with_who_entered_it(county, roll):
    import io

    from openpyxl import load_workbook

    _waiting(county, roll, count=2)
    response = county.client("secretary").get(url(county, "month_export"))
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "积分卡号", "项目")
    assert len(rows) == 3 and rows[1][6] == "待审议"
    assert county.client("secretary_y").get(url(county, "month_export")).status_code == 404


def test_the_archive_list_pages_and_searches(county, roll, settings):
    from evaluations import notice_views

    response = county.client("county").get(reverse("archive_list") + "?q=东阳")
    assert response.status_code == 200
    assert response.context["page"].paginator.per_page == notice_views.ARCHIVE_PAGE_SIZE
