"""An ID number registered in another branch: "elsewhere", never where (DOMAIN.md §5).

Only the county admin, and only for a branch of their own county, is told which branch.
Through the member form and the roster import.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from members.models import Member

from .conftest import new_id_number
from .test_roster_import import confirm, one_row, preview_text, roster_file, snapshot, upload

pytestmark = pytest.mark.django_db

GENERIC = "该身份证号已在其他党支部登记：如需转入，请联系乡镇办理组织关系转接。"
PLACES = ("岚城镇", "史家庄", "东村镇", "官桥", "东阳涧", "兴县", "蔚汾", "城关", "岚县")


def add_member(county, persona, branch, id_number, name="重复"):
    return county.client(persona).post(
        reverse("member_create", args=[branch.pk]),
        {
            "name": name,
            "id_number": id_number,
            "joined_party": "2001-07-01",
            "category": "B",
            "on_roll_from": "2026-01",
        },
    )


def assert_names_no_place(response, text: str) -> None:
    """Neither the message nor the page says where the number is registered."""
    for place in PLACES:
        assert place not in text, place
    assert response.context["form"] is not None


# --- the member form --------------------------------------------------------------------------


def test_the_member_form_says_only_elsewhere_to_a_secretary(county):
    before = Member.objects.count()
    response = add_member(county, "secretary", county.branch, county.member_z.id_number)
    errors = response.context["form"].errors["id_number"]
    assert errors == [GENERIC]
    assert_names_no_place(response, " ".join(errors))
    assert county.member_z.name not in response.content.decode()
    assert "史家庄" not in response.content.decode()
    assert Member.objects.count() == before


def test_the_member_form_says_only_elsewhere_for_another_county_too(county):
    response = add_member(county, "secretary", county.branch, county.member_x.id_number)
    assert response.context["form"].errors["id_number"] == [GENERIC]
    assert "兴县" not in response.content.decode() and "城关村" not in response.content.decode()


def test_a_full_width_copy_of_a_registered_number_is_caught_too(county):
    full_width = county.member_z.id_number.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = add_member(county, "secretary", county.branch, full_width)
    assert response.context["form"].errors["id_number"] == [GENERIC]


def test_a_number_already_on_this_roster_says_so(county):
    response = add_member(county, "secretary", county.branch, county.member.id_number)
    assert response.context["form"].errors["id_number"] == [
        "该身份证号已在本支部登记（王建国），请勿重复登记。"
    ]


def test_editing_a_member_to_a_number_registered_elsewhere_says_only_elsewhere(county):
    url = reverse("member_edit", args=[county.member.pk])
    data = {
        "name": "王建国",
        "id_number": county.member_y.id_number,
        "joined_party": "1995-07-01",
        "gender": "F",
    }
    response = county.client("secretary").post(url, data)
    assert response.context["form"].errors["id_number"] == [GENERIC]
    assert "官桥" not in response.content.decode()
    # Keeping one's own number is no conflict.
    data.update(id_number=county.member.id_number, gender="")
    assert county.client("secretary").post(url, data).status_code == 302


def test_the_county_admin_is_told_where_within_their_county(county):
    response = add_member(county, "county", county.branch, county.member_z.id_number)
    assert response.context["form"].errors["id_number"] == [
        "该身份证号已在本县岚城镇史家庄村党支部登记：如需转入，请办理组织关系转接。"
    ]


def test_the_county_admin_is_not_told_where_in_another_county(county):
    response = add_member(county, "county", county.branch, county.member_x.id_number)
    assert response.context["form"].errors["id_number"] == [GENERIC]
    assert "兴县" not in response.content.decode() and "城关村" not in response.content.decode()
    response = add_member(county, "county_x", county.branch_x, county.member_z.id_number)
    assert response.context["form"].errors["id_number"] == [GENERIC]
    assert "史家庄" not in response.content.decode()


# --- the roster import ------------------------------------------------------------------------


def import_row(county, persona, branch, id_number):
    row = one_row(**{"姓名": "张三", "身份证号": id_number})
    response = upload(county.client(persona), branch, roster_file([row]))
    preview_text(response)
    return response


def test_the_import_says_only_elsewhere_to_a_secretary(county):
    response = import_row(county, "secretary", county.branch, county.member_z.id_number)
    assert response.context["preview"].errors == [f"第 2 行：{GENERIC}"]
    html = response.content.decode()
    for place in ("岚城镇", "史家庄", county.member_z.name):
        assert place not in html
    # The row carries nothing of the other member: no link to them, their name or particulars.
    (row,) = response.context["preview"].rows
    assert row.member_id is None and row.name == "张三" and row.updates == {}


def test_the_import_says_only_elsewhere_for_another_county(county):
    response = import_row(county, "secretary", county.branch, county.member_x.id_number)
    assert response.context["preview"].errors == [f"第 2 行：{GENERIC}"]
    assert "兴县" not in response.content.decode()


def test_the_import_says_only_elsewhere_for_a_member_who_left_another_branch(county):
    other = county.member_y
    other.status, other.status_date = "deceased", datetime.date(2026, 3, 1)
    other.save()
    response = import_row(county, "secretary", county.branch, other.id_number)
    assert response.context["preview"].errors == [f"第 2 行：{GENERIC}"]
    assert "去世" not in response.content.decode()


def test_the_county_admin_importing_is_told_where_within_their_county_only(county):
    response = import_row(county, "county", county.branch, county.member_z.id_number)
    assert response.context["preview"].errors == [
        "第 2 行：该身份证号已在本县岚城镇史家庄村党支部登记：如需转入，请办理组织关系转接。"
    ]
    response = import_row(county, "county", county.branch, county.member_x.id_number)
    assert response.context["preview"].errors == [f"第 2 行：{GENERIC}"]
    response = import_row(county, "county_x", county.branch_x, county.member_z.id_number)
    assert response.context["preview"].errors == [f"第 2 行：{GENERIC}"]
    assert "史家庄" not in response.content.decode()


def test_confirm_says_only_elsewhere_for_a_number_registered_meanwhile(county):
    from .conftest import make_member

    client = county.client("secretary")
    number = new_id_number()
    response = upload(client, county.branch, roster_file([one_row(**{"身份证号": number})]))
    make_member(county.branch_z, "刘桂花", id_number=number)
    before = snapshot()
    response = confirm(client, county.branch, response)
    html = preview_text(response)
    assert f"第 2 行：{GENERIC}" in html
    assert "史家庄" not in html and "刘桂花" not in html
    assert snapshot() == before
