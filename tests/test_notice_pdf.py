"""The printed notice, as the browser prints it: headless Chromium → PDF → poppler.

A branch of 40 members (some with long names such as 欧阳慧敏) does not fit on one A4 page: the
PDF must be A4 (portrait for a quarter, landscape for the year), the header row must repeat on
every page, no column may be cut off, every member must be there, and no ID number or phone.
Skips without Chromium/poppler, fails instead under REQUIRE_BROWSER=1 (see tests/pdf.py).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Notice
from scoring import services as scoring
from tests.rules_helpers import load_default_rules

from . import pdf
from .conftest import make_member
from .test_notice import approve_period, close_months, days_ago, item

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "玉兰", "海燕", "国庆", "红梅", "文华", "桂芳", "永明"]
LONG_NAMES = ["欧阳慧敏", "司马长风", "诸葛明远", "上官婉清", "阿卜杜热合曼"]


def forty_names() -> list[str]:
    """39 unique names besides 王建国 (who comes from conftest)."""
    names = list(LONG_NAMES)
    for index in range(len(SURNAMES) * len(GIVEN)):
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES) + index) % 10]
        if name not in names and name != "王建国":
            names.append(name)
        if len(names) == 39:
            return names
    raise AssertionError("not enough names")


def build_branch(county, year: int) -> list:
    branch = county.branch
    start = datetime.date(year, 1, 1)
    members = [county.member] if year == 2026 else []
    names = forty_names() + ([] if year == 2026 else ["王建国"])
    for index, name in enumerate(names):
        members.append(
            make_member(
                branch,
                name,
                category="ABCD"[index % 4],
                on_roll_from=start,
                phone=f"139{index:08d}",
            )
        )
    scoring.month_get_or_open(branch=branch, year=year, month=2)
    scoring.deduction_record(
        member=members[3],
        branch=branch,
        year=year,
        month=2,
        item=item("K04", year),
        occurred_on=datetime.date(year, 2, 10),
        reason="2月党费未交",
        by=county.secretary_user,
    )
    scoring.clearing_record(
        member=members[7],
        branch=branch,
        year=year,
        month=2,
        item=item("Q4", year),
        occurred_on=datetime.date(year, 2, 20),
        reason="参与赌博",
        confirmed=True,
        by=county.secretary_user,
    )
    return members


def publish(county, assessment) -> Notice:
    secretary = county.secretary_user
    notice = services.notice_create(
        assessment=assessment,
        objection_channel="对公示内容如有异议，请在公示期内向村党支部书记或乡镇党委组织委员反映。",
        by=secretary,
    )
    services.notice_approve(notice=notice, by=secretary)
    return services.notice_publish(notice=notice, start_date=days_ago(1), by=secretary)


def printed(county, notice, tmp_path):
    pdf.require_tools()
    response = county.client("secretary").get(reverse("notice_print", args=[notice.pk]))
    assert response.status_code == 200
    page = pdf.save_page(response.content.decode(), tmp_path / "html")
    assert (tmp_path / "html" / "static" / "css" / "print.css").exists()
    out = pdf.print_to_pdf(page, tmp_path / "notice.pdf")
    return pdf.page_sizes(out), pdf.page_texts(out)


def check_pages(notice, members, sizes, texts, *, size):
    assert len(sizes) == len(texts) >= 2, "40 members do not fit on one A4 page"
    assert all(s == size for s in sizes), sizes
    compact = [re.sub(r"[ \t]+", " ", text) for text in texts]
    everything = "\n".join(compact)
    assert notice.title in everything.replace(" ", "")
    for row in notice.rows:
        lines = [line for line in everything.splitlines() if row["name"] in line.replace(" ", "")]
        assert lines, f"{row['name']} is missing from the PDF"
        words = lines[0].split()
        if row["cleared"]:
            assert "积分清零" in lines[0].replace(" ", "")
        else:
            # The last column (排名) is printed: the row ends with its rank.
            assert words[-1] == str(row["rank"]), lines[0]
    for number, text in enumerate(compact, start=1):
        if any(row["name"] in text.replace(" ", "") for row in notice.rows):
            assert "排名" in text.replace(" ", ""), f"no header row on page {number}"
    for member in members:
        assert member.id_number not in everything
        assert not member.phone or member.phone not in everything
    assert "赌博" not in everything and "党费未交" not in everything
    assert "积分清零" in everything


def test_a_quarter_of_40_members_prints_on_a4_portrait_with_the_header_on_every_page(
    county, tmp_path
):
    pdf.require_tools()
    load_default_rules(year=2026)
    members = build_branch(county, 2026)
    close_months(county.branch, (1, 2, 3), by=county.secretary_user)
    notice = publish(county, approve_period(county, county.branch, "Q1"))
    assert len(notice.rows) == 40
    sizes, texts = printed(county, notice, tmp_path)
    check_pages(notice, members, sizes, texts, size=pdf.A4_PORTRAIT)
    header = re.sub(r"\s+", "", texts[0])
    assert "本季度积分" in header and "本年累计积分" in header


def test_the_year_prints_on_a4_landscape_with_every_annual_column(county, tmp_path):
    pdf.require_tools()
    year = 2025
    load_default_rules(year=year)
    members = build_branch(county, year)
    close_months(county.branch, range(1, 13), year=year, by=county.secretary_user)
    for period in ("Q1", "Q2", "Q3", "Q4"):
        approve_period(county, county.branch, period, year=year)
    for index, member in enumerate(members):
        if index != 7:  # the cleared member needs no appraisal
            services.appraisal_record(
                member=member,
                branch=county.branch,
                year=year,
                score=Decimal(12 + index % 9),
                by=county.secretary_user,
            )
    notice = publish(county, approve_period(county, county.branch, "Y", year=year))
    assert notice.title == "东阳涧村党支部党员积分制考核结果公示（2025年度）"
    assert notice.rows[0]["grade"]
    sizes, texts = printed(county, notice, tmp_path)
    check_pages(notice, members, sizes, texts, size=pdf.A4_LANDSCAPE)
    header = re.sub(r"\s+", "", texts[0])
    for label in ("民主评议积分", "年度总积分", "等次", "排名"):
        assert label in header, label
    grades = {row["grade"] for row in notice.rows if not row["cleared"]}
    assert all(grade in "\n".join(texts) for grade in grades)
