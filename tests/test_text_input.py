"""Names and texts people type: normalised, trimmed, and refused when they hide characters.

`core.text.clean_text` on its own, then through the pages that take a name or a text shown to
others: the member form, the month screen's declaration form, the correction form.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.text import clean_text
from members.models import Member
from scoring import services
from scoring.models import Declaration, PointsEntry
from tests.rules_helpers import load_default_rules

from .conftest import new_id_number

pytestmark = pytest.mark.django_db

RLO, ZWSP, ZWJ = "\u202e", "\u200b", "\u200d"
HIDDEN = [
    (RLO, "U+202E"),
    (ZWSP, "U+200B"),
    (ZWJ, "U+200D"),
    ("\u2066", "U+2066"),  # left-to-right isolate
    ("\u2069", "U+2069"),  # pop directional isolate
    ("\ufeff", "U+FEFF"),  # byte-order mark
    ("\x07", "U+0007"),  # bell
    ("\ue000", "U+E000"),  # private use
    ("\U000e0001", "U+E0001"),  # language tag (Cf)
]


# --- clean_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(("ch", "code"), HIDDEN)
def test_invisible_and_control_characters_are_refused_with_their_code_point(ch, code):
    with pytest.raises(ValidationError) as raised:
        clean_text(f"王{ch}建国", label="姓名")
    assert raised.value.messages == [f"姓名中含有不可见或控制字符（{code}），请删除后重新输入。"]


def test_a_leading_zero_width_space_is_refused_not_trimmed():
    with pytest.raises(ValidationError, match="U\\+200B"):
        clean_text(f"{ZWSP}王建国")


def test_unassigned_code_points_are_refused():
    with pytest.raises(ValidationError, match="U\\+0378"):
        clean_text("a\u0378b")


def test_full_width_letters_digits_and_spaces_are_normalised_and_the_ends_trimmed():
    assert clean_text("  ＡＢＣ１２３\u3000") == "ABC123"
    assert clean_text("\u00a0第１党小组\u3000组长 ") == "第1党小组 组长"
    assert clean_text("ｇ０３") == "g03"


def test_chinese_punctuation_and_units_are_kept_as_typed():
    text = "如有异议，请反映（电话：0358-4123456）；面积约20㎡……温度38℃！～"
    assert clean_text(text) == text


def test_nfkc_composes_combining_sequences():
    assert clean_text("Jose\u0301") == "José"


def test_line_breaks_are_allowed_only_in_multiline_text():
    assert (
        clean_text(" 第一条\r\n第二条\t（说明）\n ", multiline=True) == "第一条\r\n第二条\t（说明）"
    )
    assert clean_text("第一条\u2028第二条", multiline=True) == "第一条\n第二条"
    with pytest.raises(ValidationError, match="只能写一行"):
        clean_text("王建国\n李秀英", label="姓名")
    with pytest.raises(ValidationError, match="U\\+0009"):
        clean_text("王建国\t李秀英", label="姓名")
    with pytest.raises(ValidationError, match="U\\+202E"):
        clean_text(f"第一条\n{RLO}第二条", multiline=True)


# --- the member form --------------------------------------------------------------------------


def member_post(county, **fields):
    data = {
        "name": "周文",
        "id_number": new_id_number(),
        "joined_party": "2001-07-01",
        "category": "B",
        "on_roll_from": "2026-01",
        "notes": "",
    }
    data.update(fields)
    url = reverse("member_create", args=[county.branch.pk])
    return county.client("secretary").post(url, data)


@pytest.mark.parametrize(("ch", "code"), HIDDEN[:3])
def test_the_member_form_refuses_a_name_with_hidden_characters(county, ch, code):
    response = member_post(county, name=f"周{ch}文")
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        f"姓名中含有不可见或控制字符（{code}），请删除后重新输入。"
    ]
    assert code in response.content.decode()
    assert not Member.objects.filter(name__startswith="周").exists()


def test_the_member_form_refuses_hidden_characters_in_the_notes(county):
    response = member_post(county, notes=f"村医{RLO}")
    assert "备注中含有不可见或控制字符（U+202E）" in str(response.context["form"].errors["notes"])


def test_the_member_form_stores_names_and_notes_normalised_and_trimmed(county):
    response = member_post(county, name="  周　文 ", notes=" 第２党小组\u3000组长  ")
    assert response.status_code == 302
    member = Member.objects.get(name="周文")
    assert member.notes == "第2党小组 组长"


def test_editing_a_member_normalises_the_name_too(county):
    member = county.member
    url = reverse("member_edit", args=[member.pk])
    data = {
        "name": "王建ＧＵＯ",
        "id_number": member.id_number,
        "joined_party": "1995-07-01",
        "has_plaque": "on",
    }
    assert county.client("secretary").post(url, data).status_code == 302
    member.refresh_from_db()
    assert member.name == "王建GUO"
    data["name"] = f"王建国{ZWJ}"
    response = county.client("secretary").post(url, data)
    assert "U+200D" in str(response.context["form"].errors["name"])


# --- the month screen and the correction form -------------------------------------------------


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=2026)


def declare(county, **fields):
    data = {
        "declaration-member": county.member.name,
        "declaration-item": "G03",
        "declaration-occurred_on": "2026-03-12",
        "declaration-description": "人居环境整治，清理村道垃圾",
        "declaration-points": "6",
    }
    data.update({f"declaration-{k}": v for k, v in fields.items()})
    url = reverse("declaration_create", args=[county.branch.pk, 2026, 3])
    return county.client("secretary").post(url, data)


@pytest.mark.parametrize(("ch", "code"), HIDDEN[:3])
def test_the_declaration_form_refuses_hidden_characters_in_the_description(
    county, rules_2026, ch, code
):
    response = declare(county, description=f"清理村道{ch}垃圾")
    assert response.status_code == 200
    errors = response.context["forms"]["declaration"].errors["description"]
    assert errors == [f"做了什么中含有不可见或控制字符（{code}），请删除后重新输入。"]
    assert not Declaration.objects.exists()


def test_the_declaration_form_normalises_what_was_typed(county, rules_2026):
    response = declare(county, item="ｇ０３", description="  清理村道垃圾１２车，（约２吨）\u3000")
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.item.code == "G03"
    assert declaration.description == "清理村道垃圾12车，（约2吨）"


def test_the_deduction_reason_refuses_a_bidi_override(county, rules_2026):
    url = reverse("deduction_create", args=[county.branch.pk, 2026, 3])
    data = {
        "deduction-member": county.member.name,
        "deduction-item": "K04",
        "deduction-occurred_on": "2026-03-12",
        "deduction-reason": f"党费{RLO}未交",
    }
    response = county.client("secretary").post(url, data)
    assert "U+202E" in str(response.context["forms"]["deduction"].errors["reason"])
    assert not PointsEntry.objects.exists()


def test_the_correction_reason_is_multiline_but_refuses_hidden_characters(county, rules_2026):
    for month in (1, 2, 3):
        branch_month = services.month_get_or_open(branch=county.branch, year=2026, month=month)
        services.month_close(
            branch_month=branch_month,
            meeting_date=datetime.date(2026, month + 1, 2),
            by=county.secretary_user,
        )
    url = reverse("correction_create", args=[county.member.pk])
    client = county.client("secretary")
    response = client.post(url, {"month": "2026-03", "points": "-2", "reason": f"更正{ZWSP}"})
    assert "更正理由中含有不可见或控制字符（U+200B）" in response.content.decode()
    response = client.post(
        url, {"month": "2026-03", "points": "-2", "reason": " 支委会决定\r\n补扣 "}
    )
    assert response.status_code == 302
    assert PointsEntry.objects.get(kind="correction").reason == "支委会决定\r\n补扣"
