"""Synthetic data for the timing tools (``manage.py bench``, ``time_exports``,
``time_roster_import``): a fabricated annual result line, and a county-sized roster file.

A plain module, so the benchmark and the commands share it without importing one another.
"""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal

from openpyxl import Workbook

from demo.data import demo_members
from evaluations.models import AssessmentLine
from members import roster
from scoring import engine

CLEARED_SHARE = 0.003  # share of fabricated annual lines whose year was cleared (积分清零)
AREA_CODE = "149901"  # not a real county: never collides with demo or real ID numbers


def annual_line(assessment, member, scoring_rules, rng) -> AssessmentLine:
    """A plausible approved annual line for ``member``: figures, appraisal, grade."""
    category = member.current_category or "B"
    base = Decimal(scoring_rules.base_scores[category]).quantize(Decimal("0.01"))
    bonus = Decimal(rng.choice([0, 2, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30]))
    deductions = -Decimal(rng.choice([0, 0, 0, 0, 2, 3, 5]))
    total = base + bonus + deductions
    cleared = rng.random() < CLEARED_SHARE
    appraisal = None if cleared else Decimal(rng.randint(120, 200)) / 10
    annual_total = Decimal("0.00") if cleared else total + appraisal
    return AssessmentLine(
        assessment=assessment,
        member=member,
        category=category,
        base=base,
        bonus=bonus,
        deductions=deductions,
        corrections=Decimal("0.00"),
        period_total=total,
        cumulative=total,
        appraisal=appraisal,
        annual_total=annual_total,
        grade=engine.grade_for(scoring_rules, category, annual_total, cleared),
        cleared=cleared,
    )


def build_roster_file(count: int, *, today: datetime.date) -> io.BytesIO:
    """A roster workbook of ``count`` made-up members, in the import template's columns."""
    rows = demo_members(random.Random(4538), count, today=today, area_code=AREA_CODE)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(roster.TEMPLATE_HEADERS)
    for member in rows:
        sheet.append(
            [
                member.name,
                "男" if member.gender == "M" else "女",
                member.id_number,
                member.phone or None,
                member.joined_party,
                member.category,
                None,
            ]
        )
    stream = io.BytesIO()
    workbook.save(stream)
    stream.name = "roster.xlsx"
    stream.size = len(stream.getvalue())
    stream.seek(0)
    return stream
