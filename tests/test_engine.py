"""The "445" points arithmetic (DOMAIN.md §3): worked examples, then properties.

Pure tests: no database, no Django. The properties compare ``scoring.engine`` with an independent
exact computation written here (Fractions summed, then rounded through a high-precision Decimal
with ``ROUND_HALF_UP``), so they test the module rather than restate it.
"""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import engine
from scoring.engine import (
    BASIC,
    BONUS,
    CATEGORIES,
    CLEARING,
    CORRECTION,
    DEDUCTION,
    EXCELLENT,
    GRADE_LABELS,
    QUALIFIED,
    UNQUALIFIED,
    Entry,
    MemberYear,
    PeriodResult,
    ScoringRules,
    appraisal_from_ballots,
    base_share,
    default_rules,
    excellent_quota_exceeded,
    grade_for,
    month_result,
    quarter_months,
    quarter_of,
    quarter_result,
    round_points,
    running_totals,
    validate_appraisal_score,
    year_result,
)

RULES = default_rules()
D = Decimal
BASES = {"A": 88, "B": 80, "C": 72, "D": 64}


def whole_year(category):
    return {m: category for m in range(1, 13)}


def bonus(month, points):
    return Entry(month=month, kind=BONUS, points=D(points))


def deduction(month, points):
    return Entry(month=month, kind=DEDUCTION, points=D(points))


def correction(month, points):
    return Entry(month=month, kind=CORRECTION, points=D(points))


def clearing(month):
    return Entry(month=month, kind=CLEARING, points=D(0))


# --------------------------------------------------------------------------- the rule set


def test_default_rules_hold_the_county_base_scores():
    assert {c: RULES.base_scores[c] for c in CATEGORIES} == {c: D(b) for c, b in BASES.items()}


def test_default_cutoffs_are_base_plus_30_plus_10_minus_10():
    assert RULES.cutoffs["A"] == (D(118), D(98), D(78))
    assert RULES.cutoffs["B"] == (D(110), D(90), D(70))
    assert RULES.cutoffs["C"] == (D(102), D(82), D(62))
    assert RULES.cutoffs["D"] == (D(94), D(74), D(54))


def test_default_appraisal_settings_follow_the_domain():
    assert RULES.appraisal_max == D(20)
    assert RULES.ballot_weights == (D("1.0"), D("0.8"), D("0.6"), D(0))
    assert RULES.excellent_share == Fraction(1, 3)


def test_grade_labels_are_chinese():
    assert GRADE_LABELS == {
        EXCELLENT: "优秀",
        QUALIFIED: "合格",
        BASIC: "基本合格",
        UNQUALIFIED: "不合格",
    }


def test_a_rule_set_missing_a_category_is_refused():
    with pytest.raises(ValueError):
        ScoringRules(base_scores={"A": D(88)}, cutoffs={"A": (D(118), D(98), D(78))})


def test_a_rule_set_with_cutoffs_out_of_order_is_refused():
    cutoffs = dict(RULES.cutoffs)
    cutoffs["B"] = (D(90), D(110), D(70))
    with pytest.raises(ValueError):
        ScoringRules(base_scores=RULES.base_scores, cutoffs=cutoffs)


def test_a_rule_set_keeps_its_own_copy_of_the_base_scores():
    base_scores = dict(RULES.base_scores)
    rules = ScoringRules(base_scores=base_scores, cutoffs=RULES.cutoffs)
    base_scores["A"] = D(1000)
    assert rules.base_scores["A"] == D(88)


# --------------------------------------------------------------------------- base shares


def test_base_share_is_an_exact_twelfth():
    assert base_share(RULES, "A") == Fraction(88, 12)
    assert base_share(RULES, "B") == Fraction(80, 12)
    assert base_share(RULES, "C") == Fraction(6)
    assert base_share(RULES, "D") == Fraction(64, 12)


def test_base_share_of_an_unknown_category_is_refused():
    with pytest.raises(ValueError):
        base_share(RULES, "E")


def test_full_year_in_category_a_is_exactly_88():
    result = year_result(RULES, MemberYear(months=whole_year("A")))
    assert result.total == D("88.00")
    assert str(result.total) == "88.00"
    assert result.base == D("88.00")
    assert result.grade_category == "A"
    assert result.grade == BASIC  # 88 is between 78 and 98


@pytest.mark.parametrize(
    ("category", "shown"), [("A", "88.00"), ("B", "80.00"), ("C", "72.00"), ("D", "64.00")]
)
def test_full_year_in_each_category_is_exactly_the_base_score(category, shown):
    result = year_result(RULES, MemberYear(months=whole_year(category)))
    assert str(result.total) == shown
    assert str(result.base) == shown
    assert str(running_totals(RULES, MemberYear(months=whole_year(category)))[11]) == shown


def test_a_quarter_in_category_a_is_exactly_22():
    member = MemberYear(months=whole_year("A"))
    for quarter in range(1, 5):
        assert str(quarter_result(RULES, member, quarter).total) == "22.00"


def test_one_month_in_category_a_rounds_half_up_to_7_33():
    # 88 / 12 = 7.3333...
    assert month_result(RULES, MemberYear(months={1: "A"}), 1).total == D("7.33")


def test_two_months_in_category_a_round_up_to_14_67():
    # 2 × 88 / 12 = 14.6666...
    member = MemberYear(months={1: "A", 2: "A"})
    assert year_result(RULES, member).total == D("14.67")


def test_one_month_in_category_b_rounds_up_to_6_67():
    assert month_result(RULES, MemberYear(months={5: "B"}), 5).base == D("6.67")


def test_seven_months_a_and_five_months_b_give_84_67():
    # (88·7 + 80·5) / 12 = 1016 / 12 = 84.666...
    months = {m: ("A" if m <= 7 else "B") for m in range(1, 13)}
    result = year_result(RULES, MemberYear(months=months))
    assert result.total == D("84.67")
    assert result.grade_category == "B"
    assert result.grade == BASIC  # B: 70 <= 84.67 < 90


def test_change_from_a_to_b_in_july_gives_44_plus_40():
    months = {m: ("A" if m <= 6 else "B") for m in range(1, 13)}
    member = MemberYear(months=months)
    result = year_result(RULES, member)
    assert [q.total for q in result.quarters] == [D("22.00"), D("22.00"), D("20.00"), D("20.00")]
    assert result.total == D("84.00")
    assert result.grade_category == "B"


def test_rounded_quarters_may_not_add_up_but_the_year_uses_exact_values():
    # each quarter shows its own rounded total; the year is rounded from the exact sum
    months = {1: "A", 4: "A", 7: "A", 10: "A"}  # 4 × 7.3333 = 29.3333
    member = MemberYear(months=months)
    result = year_result(RULES, member)
    assert [q.total for q in result.quarters] == [D("7.33")] * 4
    assert result.total == D("29.33")
    months = {2: "B", 5: "B", 8: "B"}  # 3 × 6.6666 = 20.00, each quarter shows 6.67
    result = year_result(RULES, MemberYear(months=months))
    assert sum(q.total for q in result.quarters) == D("20.01")
    assert result.total == D("20.00")


def test_joining_in_april_earns_nine_months():
    member = MemberYear(months={m: "B" for m in range(4, 13)})
    result = year_result(RULES, member)
    assert result.quarters[0].total == D("0.00")
    assert result.quarters[1].total == D("20.00")
    assert result.total == D("60.00")  # 80 × 9 / 12
    assert result.grade_category == "B"
    assert result.grade == UNQUALIFIED  # below 70: the B cut-offs apply to the whole year


def test_leaving_after_may_earns_five_months_and_keeps_the_may_category():
    member = MemberYear(months={1: "C", 2: "C", 3: "A", 4: "A", 5: "A"})
    result = year_result(RULES, member)
    # (72·2 + 88·3) / 12 = 408 / 12 = 34
    assert result.total == D("34.00")
    assert [q.total for q in result.quarters] == [D("19.33"), D("14.67"), D("0.00"), D("0.00")]
    assert result.grade_category == "A"


def test_the_december_category_decides_the_grade():
    months = {m: ("D" if m == 12 else "A") for m in range(1, 13)}
    result = year_result(RULES, MemberYear(months=months, entries=[bonus(3, 20)]))
    # 88·11/12 + 64/12 + 20 = (968 + 64) / 12 + 20 = 86 + 20 = 106 >= 94 (D excellent)
    assert result.total == D("106.00")
    assert result.grade_category == "D"
    assert result.grade == EXCELLENT


def test_a_member_never_on_the_roll_has_no_grade():
    result = year_result(RULES, MemberYear(months={}))
    assert result.total == D("0.00")
    assert result.grade_category is None
    assert result.grade is None


# --------------------------------------------------------------------------- entries


def test_bonus_deduction_and_correction_are_added_in_their_quarter():
    member = MemberYear(
        months=whole_year("B"),
        entries=[bonus(2, "5"), deduction(3, "-2"), correction(3, "1.5"), bonus(4, "2")],
    )
    q1 = quarter_result(RULES, member, 1)
    assert q1 == PeriodResult(
        base=D("20.00"),
        bonus=D("5.00"),
        deductions=D("-2.00"),
        corrections=D("1.50"),
        total=D("24.50"),
    )
    assert quarter_result(RULES, member, 2).total == D("22.00")
    result = year_result(RULES, member)
    assert result.bonus == D("7.00")
    assert result.deductions == D("-2.00")
    assert result.corrections == D("1.50")
    assert result.total == D("86.50")


def test_a_quarter_may_go_negative():
    member = MemberYear(months=whole_year("D"), entries=[deduction(2, -10), deduction(3, -20)])
    q1 = quarter_result(RULES, member, 1)
    assert q1.base == D("16.00")
    assert q1.deductions == D("-30.00")
    assert q1.total == D("-14.00")
    assert year_result(RULES, member).total == D("34.00")  # 64 − 30, the quarter is not floored


def test_a_negative_year_is_floored_at_zero_while_its_quarter_stays_negative():
    member = MemberYear(months={12: "D"}, entries=[deduction(3, -10)])
    result = year_result(RULES, member)
    assert result.quarters[0].total == D("-10.00")
    assert result.quarters[3].total == D("5.33")
    assert result.total == D("0.00")
    assert str(result.total) == "0.00"
    assert result.grade == UNQUALIFIED
    assert running_totals(RULES, member)[11] == D("-4.67")  # running totals are not floored


def test_the_appraisal_is_added_after_the_quarters_and_before_the_floor():
    member = MemberYear(months={12: "D"}, entries=[deduction(3, -10)], appraisal=D("17.2"))
    result = year_result(RULES, member)
    assert result.appraisal == D("17.20")
    assert result.total == D("12.53")  # 64/12 − 10 + 17.2 = 12.5333...


def test_a_missing_appraisal_counts_as_zero():
    result = year_result(RULES, MemberYear(months=whole_year("A")))
    assert result.appraisal == D("0.00")


def test_an_invalid_appraisal_on_a_member_is_refused_when_the_year_is_computed():
    with pytest.raises(ValueError):
        year_result(RULES, MemberYear(months=whole_year("A"), appraisal=D("25")))


def test_a_clearing_item_wipes_the_year_even_with_a_huge_bonus():
    member = MemberYear(
        months=whole_year("A"),
        entries=[bonus(1, 1000), clearing(11)],
        appraisal=D(20),
    )
    result = year_result(RULES, member)
    assert result.cleared is True
    assert result.total == D("0.00")
    assert result.grade == UNQUALIFIED
    assert GRADE_LABELS[result.grade] == "不合格"
    # the score parts still show what happened; only the annual total and grade are cleared
    assert result.bonus == D("1000.00")
    assert result.quarters[0].total == D("1022.00")


def test_the_points_of_a_clearing_entry_are_ignored_in_every_sum():
    member = MemberYear(
        months=whole_year("A"), entries=[Entry(month=4, kind=CLEARING, points=D(-500))]
    )
    assert quarter_result(RULES, member, 2).total == D("22.00")
    assert running_totals(RULES, member)[11] == D("88.00")
    assert year_result(RULES, member).total == D("0.00")


def test_a_year_without_clearing_is_not_cleared():
    assert year_result(RULES, MemberYear(months=whole_year("A"))).cleared is False


def test_an_entry_in_a_month_off_the_roll_still_counts():
    # joined in April; a correction recorded against February still counts in Q1
    member = MemberYear(months={m: "B" for m in range(4, 13)}, entries=[correction(2, "-3.5")])
    assert quarter_result(RULES, member, 1).total == D("-3.50")
    assert year_result(RULES, member).total == D("56.50")


def test_running_totals_accumulate_month_by_month():
    member = MemberYear(months=whole_year("A"), entries=[bonus(2, 3), deduction(12, -1)])
    totals = running_totals(RULES, member)
    assert len(totals) == 12
    assert totals[0] == D("7.33")
    assert totals[1] == D("17.67")  # 14.666 + 3
    assert totals[5] == D("47.00")
    assert totals[11] == D("90.00")


def test_month_and_quarter_numbers_are_checked():
    member = MemberYear(months=whole_year("A"))
    with pytest.raises(ValueError):
        month_result(RULES, member, 13)
    with pytest.raises(ValueError):
        month_result(RULES, member, 0)
    with pytest.raises(ValueError):
        quarter_result(RULES, member, 5)
    with pytest.raises(ValueError):
        quarter_of(0)


def test_quarters_map_to_their_months():
    assert [quarter_of(m) for m in range(1, 13)] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert quarter_months(1) == (1, 2, 3)
    assert quarter_months(4) == (10, 11, 12)


def test_an_entry_with_an_unknown_kind_or_month_is_refused():
    with pytest.raises(ValueError):
        Entry(month=1, kind="reward", points=D(1))
    with pytest.raises(ValueError):
        Entry(month=13, kind=BONUS, points=D(1))


def test_a_positive_deduction_or_negative_bonus_is_refused():
    with pytest.raises(ValueError):
        Entry(month=1, kind=DEDUCTION, points=D(2))
    with pytest.raises(ValueError):
        Entry(month=1, kind=BONUS, points=D(-2))


def test_float_points_are_refused():
    with pytest.raises(TypeError):
        Entry(month=1, kind=BONUS, points=0.1)


def test_a_roll_with_an_unknown_category_or_month_is_refused():
    with pytest.raises(ValueError):
        MemberYear(months={1: "E"})
    with pytest.raises(ValueError):
        MemberYear(months={13: "A"})


# --------------------------------------------------------------------------- grades


@pytest.mark.parametrize("category", CATEGORIES)
def test_grade_boundaries_are_inclusive_for_every_category(category):
    excellent_min, qualified_min, basic_min = RULES.cutoffs[category]
    cent = D("0.01")
    assert grade_for(RULES, category, excellent_min, False) == EXCELLENT
    assert grade_for(RULES, category, excellent_min - cent, False) == QUALIFIED
    assert grade_for(RULES, category, qualified_min, False) == QUALIFIED
    assert grade_for(RULES, category, qualified_min - cent, False) == BASIC
    assert grade_for(RULES, category, basic_min, False) == BASIC
    assert grade_for(RULES, category, basic_min - cent, False) == UNQUALIFIED
    assert grade_for(RULES, category, D(0), False) == UNQUALIFIED


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_year_exactly_at_the_excellent_cutoff_is_excellent(category):
    # a full year gives the base; a bonus of exactly 30 lands on base + 30
    member = MemberYear(months=whole_year(category), entries=[bonus(6, 30)])
    result = year_result(RULES, member)
    assert result.total == RULES.cutoffs[category][0]
    assert result.grade == EXCELLENT
    one_cent_short = MemberYear(months=whole_year(category), entries=[bonus(6, "29.99")])
    assert year_result(RULES, one_cent_short).grade == QUALIFIED


def test_118_in_category_a_is_excellent_and_117_99_is_qualified():
    assert grade_for(RULES, "A", D("118.00"), False) == EXCELLENT
    assert grade_for(RULES, "A", D("117.99"), False) == QUALIFIED


def test_a_total_is_rounded_before_it_is_compared():
    assert grade_for(RULES, "A", D("117.995"), False) == EXCELLENT
    assert grade_for(RULES, "A", D("117.994"), False) == QUALIFIED


def test_a_cleared_member_is_unqualified_whatever_the_total():
    assert grade_for(RULES, "A", D(500), True) == UNQUALIFIED


def test_a_category_d_member_reaches_excellent_at_94():
    # 64 base + 10 bonus + 20 appraisal = 94: an old member can be excellent
    member = MemberYear(months=whole_year("D"), entries=[bonus(9, 10)], appraisal=D(20))
    result = year_result(RULES, member)
    assert result.total == D("94.00")
    assert result.grade == EXCELLENT
    # the same 94 in category A is only basic
    assert grade_for(RULES, "A", D(94), False) == BASIC


def test_grade_for_refuses_an_unknown_category():
    with pytest.raises(ValueError):
        grade_for(RULES, "E", D(100), False)


def test_four_excellent_of_twelve_is_within_the_quota():
    assert excellent_quota_exceeded(RULES, excellent=4, members=12) is False


def test_five_excellent_of_twelve_exceeds_the_quota():
    assert excellent_quota_exceeded(RULES, excellent=5, members=12) is True


def test_the_quota_is_compared_exactly_for_small_branches():
    assert excellent_quota_exceeded(RULES, excellent=1, members=3) is False
    assert excellent_quota_exceeded(RULES, excellent=1, members=2) is True  # 1 > 2/3
    assert excellent_quota_exceeded(RULES, excellent=2, members=6) is False
    assert excellent_quota_exceeded(RULES, excellent=1, members=1) is True  # 1 > 1/3
    assert excellent_quota_exceeded(RULES, excellent=0, members=0) is False


def test_the_quota_refuses_negative_counts():
    with pytest.raises(ValueError):
        excellent_quota_exceeded(RULES, excellent=-1, members=12)


# --------------------------------------------------------------------------- appraisal


def test_ballots_12_15_3_0_give_17_2():
    score = appraisal_from_ballots(RULES, excellent=12, qualified=15, basic=3, unqualified=0)
    assert score == D("17.2")
    assert str(score) == "17.2"


def test_all_excellent_ballots_give_the_maximum_and_all_unqualified_give_zero():
    assert appraisal_from_ballots(RULES, excellent=9, qualified=0, basic=0, unqualified=0) == D(
        "20.0"
    )
    assert appraisal_from_ballots(RULES, excellent=0, qualified=0, basic=0, unqualified=9) == D(
        "0.0"
    )


def test_ballot_conversion_rounds_half_up_to_one_decimal():
    # 20 × 0.6 × 1 / 48 = 0.25 → 0.3 (half-up; banker's rounding would give 0.2)
    assert appraisal_from_ballots(RULES, excellent=0, qualified=0, basic=1, unqualified=47) == D(
        "0.3"
    )
    # 20 × 1 / 3 = 6.666… → 6.7
    assert appraisal_from_ballots(RULES, excellent=1, qualified=0, basic=0, unqualified=2) == D(
        "6.7"
    )


def test_zero_ballots_are_refused():
    with pytest.raises(ValueError, match="票"):
        appraisal_from_ballots(RULES, excellent=0, qualified=0, basic=0, unqualified=0)


def test_negative_ballots_are_refused():
    with pytest.raises(ValueError, match="负数"):
        appraisal_from_ballots(RULES, excellent=12, qualified=-1, basic=3, unqualified=0)


@pytest.mark.parametrize("score", ["0", "0.0", "7.2", "7.20", "17.2", "20", "20.0"])
def test_an_appraisal_score_in_range_with_one_decimal_is_accepted(score):
    accepted = validate_appraisal_score(RULES, D(score))
    assert accepted == D(score)
    assert accepted.as_tuple().exponent == -1


@pytest.mark.parametrize("score", ["20.1", "7.25", "-0.1", "100", "NaN", "Infinity"])
def test_an_appraisal_score_out_of_range_or_too_precise_is_refused(score):
    with pytest.raises(ValueError, match="民主评议积分"):
        validate_appraisal_score(RULES, D(score))


def test_an_appraisal_score_given_as_a_float_is_refused():
    with pytest.raises(ValueError):
        validate_appraisal_score(RULES, 7.5)


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(2, 3), "0.67"),
        (Fraction(1, 3), "0.33"),
        (Fraction(1, 200), "0.01"),  # 0.005 → 0.01
        (Fraction(-1, 200), "-0.01"),  # away from zero, like Decimal's ROUND_HALF_UP
        (Fraction(-2, 3), "-0.67"),
        (Fraction(-1, 1000), "0.00"),  # no negative zero
        (Fraction(88), "88.00"),
        (Fraction(1016, 12), "84.67"),
        (D("2.675"), "2.68"),
        (D("-2.665"), "-2.67"),
        (0, "0.00"),
    ],
)
def test_round_points_rounds_half_up_away_from_zero(value, shown):
    assert str(round_points(value)) == shown


def test_round_points_to_one_and_zero_places():
    assert str(round_points(Fraction(3, 4), 1)) == "0.8"
    assert str(round_points(Fraction(5, 2), 0)) == "3"
    assert str(round_points(Fraction(-5, 2), 0)) == "-3"


def test_round_points_refuses_floats():
    with pytest.raises(TypeError):
        round_points(0.5)


# --------------------------------------------------------------------------- properties

# No example database on disk, no deadline (a slow CI machine is not a failure).
prop = settings(database=None, deadline=None, max_examples=150)


def oracle_round(x: Fraction) -> Decimal:
    """Independent rounding: a 60-digit Decimal quotient, then Decimal's ROUND_HALF_UP.

    Every value here is a multiple of 1/1200, so a tie is exact in Decimal and a non-tie is at
    least 1/1200 away from one: 60 digits cannot tip the result.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        quotient = Decimal(x.numerator) / Decimal(x.denominator)
        return quotient.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) + Decimal("0.00")


def oracle_period(member: MemberYear, months) -> Fraction:
    months = set(months)
    total = sum(
        (Fraction(BASES[c], 12) for m, c in member.months.items() if m in months), Fraction(0)
    )
    for entry in member.entries:
        if entry.month in months and entry.kind != CLEARING:
            total += Fraction(entry.points)
    return total


def oracle_year(member: MemberYear) -> Fraction:
    if any(e.kind == CLEARING for e in member.entries):
        return Fraction(0)
    quarters = sum((oracle_period(member, quarter_months(q)) for q in range(1, 5)), Fraction(0))
    appraisal = Fraction(member.appraisal) if member.appraisal is not None else Fraction(0)
    return max(Fraction(0), quarters + appraisal)


cents = st.integers(min_value=0, max_value=5_000).map(lambda n: Decimal(n) / 100)
months_st = st.integers(min_value=1, max_value=12)
rolls = st.dictionaries(months_st, st.sampled_from(CATEGORIES), max_size=12)
entries_st = st.one_of(
    st.builds(Entry, month=months_st, kind=st.just(BONUS), points=cents),
    st.builds(Entry, month=months_st, kind=st.just(DEDUCTION), points=cents.map(lambda d: -d)),
    st.builds(
        Entry,
        month=months_st,
        kind=st.just(CORRECTION),
        points=st.tuples(cents, st.booleans()).map(lambda t: -t[0] if t[1] else t[0]),
    ),
)
appraisals = st.one_of(
    st.none(), st.integers(min_value=0, max_value=200).map(lambda n: Decimal(n) / 10)
)


@st.composite
def member_years(draw, allow_clearing=True):
    entries = draw(st.lists(entries_st, max_size=15))
    if allow_clearing and draw(st.integers(min_value=0, max_value=9)) == 0:
        entries.append(Entry(month=draw(months_st), kind=CLEARING, points=Decimal(0)))
    return MemberYear(months=draw(rolls), entries=entries, appraisal=draw(appraisals))


GRADE_RANK = {EXCELLENT: 0, QUALIFIED: 1, BASIC: 2, UNQUALIFIED: 3, None: 3}


@prop
@given(member_years())
def test_the_year_total_matches_an_independent_exact_computation(member):
    result = year_result(RULES, member)
    assert result.total == oracle_round(oracle_year(member))
    assert result.total.as_tuple().exponent == -2


@prop
@given(member_years(allow_clearing=False))
def test_an_unfloored_year_total_is_the_exact_sum_of_quarters_plus_appraisal(member):
    exact_quarters = [oracle_period(member, quarter_months(q)) for q in range(1, 5)]
    appraisal = Fraction(member.appraisal or 0)
    exact_year = sum(exact_quarters, Fraction(0)) + appraisal
    result = year_result(RULES, member)
    for shown, exact in zip(result.quarters, exact_quarters, strict=True):
        assert shown.total == oracle_round(exact)
        assert abs(Fraction(shown.total) - exact) <= Fraction(1, 200)
    if exact_year >= 0:
        assert result.total == oracle_round(exact_year)
        # the rounded quarters may drift by at most half a cent each from the exact year
        shown_sum = sum((Fraction(q.total) for q in result.quarters), Fraction(0)) + appraisal
        assert abs(shown_sum - Fraction(result.total)) <= Fraction(4, 200) + Fraction(1, 200)
    else:
        assert result.total == Decimal("0.00")


@prop
@given(member_years(), st.integers(min_value=1, max_value=12), cents)
def test_adding_a_deduction_never_raises_any_total(member, month, points):
    extra = Entry(month=month, kind=DEDUCTION, points=-points)
    after = MemberYear(
        months=member.months, entries=[*member.entries, extra], appraisal=member.appraisal
    )
    for m in range(1, 13):
        assert month_result(RULES, after, m).total <= month_result(RULES, member, m).total
    for q in range(1, 5):
        assert quarter_result(RULES, after, q).total <= quarter_result(RULES, member, q).total
    for before_total, after_total in zip(
        running_totals(RULES, member), running_totals(RULES, after), strict=True
    ):
        assert after_total <= before_total
    before_year, after_year = year_result(RULES, member), year_result(RULES, after)
    assert after_year.total <= before_year.total
    assert GRADE_RANK[after_year.grade] >= GRADE_RANK[before_year.grade]


@prop
@given(member_years(), st.integers(min_value=1, max_value=12), cents)
def test_adding_a_bonus_never_lowers_any_total(member, month, points):
    after = MemberYear(
        months=member.months,
        entries=[*member.entries, Entry(month=month, kind=BONUS, points=points)],
        appraisal=member.appraisal,
    )
    for q in range(1, 5):
        assert quarter_result(RULES, after, q).total >= quarter_result(RULES, member, q).total
    assert year_result(RULES, after).total >= year_result(RULES, member).total


@prop
@given(member_years(), st.randoms(use_true_random=False))
def test_entry_order_does_not_change_any_result(member, random):
    entries = list(member.entries)
    random.shuffle(entries)
    shuffled = MemberYear(months=member.months, entries=entries, appraisal=member.appraisal)
    assert year_result(RULES, shuffled) == year_result(RULES, member)
    assert running_totals(RULES, shuffled) == running_totals(RULES, member)
    for m in range(1, 13):
        assert month_result(RULES, shuffled, m) == month_result(RULES, member, m)


@prop
@given(member_years())
def test_the_year_total_is_never_negative(member):
    assert year_result(RULES, member).total >= 0


@prop
@given(member_years())
def test_the_last_running_total_is_the_sum_of_the_quarters_before_floor_and_appraisal(member):
    totals = running_totals(RULES, member)
    exact_quarters = sum(
        (oracle_period(member, quarter_months(q)) for q in range(1, 5)), Fraction(0)
    )
    assert totals[11] == oracle_round(exact_quarters)
    shown_quarters = sum(q.total for q in year_result(RULES, member).quarters)
    assert abs(totals[11] - shown_quarters) <= Decimal("0.02")


@prop
@given(member_years())
def test_the_year_parts_follow_the_roll_and_the_signs_of_the_entries(member):
    result = year_result(RULES, member)
    exact_base = oracle_period(
        MemberYear(months=member.months), range(1, 13)
    )  # base only: no entries
    assert result.base == oracle_round(exact_base)
    assert result.deductions <= 0
    assert result.bonus >= 0
    assert result.cleared == any(e.kind == CLEARING for e in member.entries)


@prop
@given(st.sampled_from(CATEGORIES), st.integers(min_value=0, max_value=12))
def test_n_months_in_one_category_earn_n_twelfths_of_the_base(category, n):
    member = MemberYear(months={m: category for m in range(1, n + 1)})
    assert year_result(RULES, member).base == oracle_round(Fraction(BASES[category] * n, 12))


@prop
@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=1, max_value=10**6))
def test_round_points_agrees_with_decimal_round_half_up(numerator, denominator):
    x = Fraction(numerator, denominator)
    with localcontext() as ctx:
        ctx.prec = 80
        expected = (Decimal(x.numerator) / Decimal(x.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        ) + Decimal("0.00")
    # Decimal's quotient is inexact for most denominators but 80 digits are enough unless the
    # value sits within 1e-60 of a tie, which these sizes cannot reach without being a tie.
    assert round_points(x) == expected


@prop
@given(
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
)
def test_ballot_scores_are_always_a_valid_appraisal(e, q, b, u):
    if e + q + b + u == 0:
        return
    score = appraisal_from_ballots(RULES, excellent=e, qualified=q, basic=b, unqualified=u)
    assert validate_appraisal_score(RULES, score) == score


@prop
@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_the_quota_is_exceeded_exactly_when_three_times_excellent_exceeds_members(e, n):
    assert excellent_quota_exceeded(RULES, excellent=e, members=n) is (3 * e > n)


# --- The aggregate path: the dashboards' fold of monthly sums ----------------------------------

# A month's base may come from another rule-set version (DOMAIN §3.8): any base with 2 decimals.
bases_st = st.integers(min_value=0, max_value=20_000).map(lambda n: Decimal(n) / 100)


@st.composite
def versioned_member_years(draw):
    """A member-year whose months on the roll each carry the base of their own version."""
    member = draw(member_years())
    bases = {month: draw(bases_st) for month in member.months}
    use_bases = draw(st.booleans())
    return MemberYear(
        months=member.months,
        entries=member.entries,
        appraisal=member.appraisal,
        bases=bases if use_bases else None,
    )


def folded(member, upto=12):
    months = {m: engine.month_units(RULES, member, m) for m in range(1, 13)}
    return engine.standing(RULES, months, member.months, upto=upto, appraisal=member.appraisal)


def so_far(member, upto):
    return MemberYear(
        months={m: c for m, c in member.months.items() if m <= upto},
        entries=[e for e in member.entries if e.month <= upto],
        appraisal=member.appraisal,
        bases=None
        if member.bases is None
        else {m: b for m, b in member.bases.items() if m <= upto},
    )


@prop
@given(versioned_member_years())
def test_the_fold_of_monthly_sums_is_the_detailed_year(member):
    """What a dashboard computes from SQL sums per month equals what a card or an assessment
    computes from the entries: total, grade, parts."""
    result = year_result(RULES, member)
    year = folded(member)
    assert (year.total, year.grade, year.cleared) == (result.total, result.grade, result.cleared)
    assert year.projected == result.total
    assert (year.base, year.bonus, year.deductions, year.corrections) == (
        result.base,
        result.bonus,
        result.deductions,
        result.corrections,
    )
    assert year.grade_category == result.grade_category


@prop
@given(versioned_member_years(), st.integers(min_value=1, max_value=12))
def test_the_fold_so_far_is_the_running_total_and_the_year_of_the_months_so_far(member, upto):
    standing = folded(member, upto)
    assert standing.running == running_totals(RULES, member)[upto - 1]
    assert standing.total == year_result(RULES, so_far(member, upto)).total
    # The projection is the whole year as it stands (real months after ``upto`` hold nothing
    # but their base shares).
    assert standing.projected == year_result(RULES, member).total


@prop
@given(versioned_member_years())
def test_per_month_bases_are_what_each_month_is_scored_with(member):
    if member.bases is None:
        return
    for month, category in member.months.items():
        shown = month_result(RULES, member, month).base
        assert shown == oracle_round(Fraction(member.bases[month]) / 12), category


def test_a_month_scored_under_a_second_version_keeps_its_own_base():
    """Q1 opened under version 1 (B = 80), April onward under version 2 (B = 92)."""
    months = dict.fromkeys(range(1, 13), "B")
    bases = {m: Decimal(80) if m <= 3 else Decimal(92) for m in range(1, 13)}
    member = MemberYear(months=months, bases=bases)
    assert quarter_result(RULES, member, 1).base == Decimal("20.00")
    assert quarter_result(RULES, member, 2).base == Decimal("23.00")
    assert year_result(RULES, member).total == Decimal("89.00")
    assert folded(member).total == Decimal("89.00")


def test_units_refuse_values_off_the_grid():
    assert engine.to_units(Decimal("0.01")) == 12
    assert engine.base_units(Decimal("88")) == 8800
    with pytest.raises(ValueError):
        engine.to_units(Decimal("0.001"))
