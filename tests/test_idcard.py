"""members.idcard (GB 11643 ID numbers) and members.contact (phone numbers). No database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from members.contact import MSG_BAD_PHONE, normalize_phone, validate_phone
from members.idcard import (
    MSG_BAD_CHECK_DIGIT,
    MSG_EXCEL_CORRUPTED,
    IdInfo,
    age_on,
    check_digit,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)

TODAY = date(2025, 11, 25)


def full(first17: str) -> str:
    return first17 + check_digit(first17)


MALE_1980 = full("14112719800101123")  # order code 123: odd -> M
FEMALE_1956 = full("14112719560229004")  # 1956 is a leap year; order code 004: even -> F


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c in "Xx" else c for c in text)


# --- check digit -------------------------------------------------------------------------


def test_check_digit_of_the_standard_example():
    # The worked example of GB 11643-1999.
    assert check_digit("11010519491231002") == "X"


def test_check_digit_is_weighted_sum_mod_11():
    first17 = "14112719800101123"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert check_digit(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("bad", ["", "1411271980010112", "141127198001011234", "1411271980010112X"])
def test_check_digit_needs_17_digits(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


# --- valid numbers -------------------------------------------------------------------------


def test_valid_number_gives_birth_date_and_gender():
    info = validate_id_number(MALE_1980, today=TODAY)
    assert info == IdInfo(number=MALE_1980, birth_date=date(1980, 1, 1), gender="M")


def test_female_and_leap_day():
    info = validate_id_number(FEMALE_1956, today=TODAY)
    assert info.birth_date == date(1956, 2, 29)
    assert info.gender == "F"


def test_x_check_digit_accepted_and_upper_cased():
    info = validate_id_number("11010519491231002x", today=TODAY)
    assert info.number == "11010519491231002X"
    assert info.gender == "F"  # 17th digit 2
    assert info.birth_date == date(1949, 12, 31)


def test_idinfo_is_frozen():
    info = validate_id_number(MALE_1980, today=TODAY)
    with pytest.raises(AttributeError):
        info.number = "x"  # type: ignore[misc]


def test_full_width_digits_and_spaces_normalised():
    raw = " " + to_fullwidth(MALE_1980[:6]) + "\u3000" + MALE_1980[6:14] + " " + MALE_1980[14:]
    assert normalize_id_number(raw) == MALE_1980
    assert validate_id_number(raw, today=TODAY).number == MALE_1980


def test_full_width_x_normalised():
    assert normalize_id_number("11010519491231002ｘ") == "11010519491231002X"
    assert normalize_id_number("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert validate_id_number("11010519491231002Ｘ", today=TODAY).number == "11010519491231002X"


def test_tabs_newlines_and_leading_apostrophe_removed():
    assert normalize_id_number(f"\t'{MALE_1980}\n") == MALE_1980


def test_default_today_is_used():
    assert validate_id_number(MALE_1980).birth_date == date(1980, 1, 1)


# --- errors --------------------------------------------------------------------------------


def error_of(raw, **kwargs) -> str:
    with pytest.raises(ValueError) as excinfo:
        validate_id_number(raw, today=TODAY, **kwargs)
    return str(excinfo.value)


@pytest.mark.parametrize("raw", [MALE_1980[:17], MALE_1980 + "1", "141127800101123", "1"])
def test_wrong_length(raw):
    message = error_of(raw)
    assert "18位" in message
    assert f"当前为{len(raw)}位" in message


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", None])
def test_empty(raw):
    assert error_of(raw) == "请输入身份证号"


def test_non_digit_in_first_17():
    assert "前17位只能是数字" in error_of("14112719800101A234")
    assert "前17位只能是数字" in error_of("1411271980010112X4")


def test_bad_last_character():
    assert "最后一位" in error_of("14112719800101123Y")


@pytest.mark.parametrize("birth", ["19800230", "19810229", "19801301", "19800001", "00000000"])
def test_nonexistent_birth_date(birth):
    message = error_of(full(f"141127{birth}123"))
    assert "出生日期" in message
    assert "不存在" in message


def test_birth_date_in_future():
    assert "晚于今天" in error_of(full("14112720251126123"))
    # today itself is fine
    assert validate_id_number(full("14112720251125123"), today=TODAY).birth_date == TODAY


def test_birth_date_before_1900():
    assert "早于1900年" in error_of(full("14112718991231123"))
    assert validate_id_number(full("14112719000101123"), today=TODAY)


def test_wrong_check_digit():
    last = MALE_1980[-1]
    wrong = MALE_1980[:17] + ("0" if last != "0" else "1")
    assert error_of(wrong) == MSG_BAD_CHECK_DIGIT
    assert "校验位错误" in MSG_BAD_CHECK_DIGIT


def test_typo_in_a_digit_is_caught_by_check_digit():
    typo = MALE_1980[:3] + str((int(MALE_1980[3]) + 1) % 10) + MALE_1980[4:]
    assert error_of(typo).startswith(MSG_BAD_CHECK_DIGIT)


def test_trailing_000_from_excel_precision_loss_gets_a_hint():
    # Excel keeps 15 significant digits: 141127198001011234 -> 141127198001011000.
    message = error_of("141127198001011000")
    assert message.startswith(MSG_BAD_CHECK_DIGIT)
    assert "000" in message
    assert "Excel" in message


def test_valid_number_ending_000_is_still_valid():
    candidates = (f"141127198001{day:02d}{i}00" for day in range(1, 29) for i in range(10))
    first17 = next(c for c in candidates if check_digit(c) == "0")
    assert validate_id_number(first17 + "0", today=TODAY).number.endswith("000")


@pytest.mark.parametrize(
    "raw",
    [
        "1.41127E+17",
        "1.41127e+17",
        "1.41127E17",
        "1.41127198001011E+17",
        "141127198001011000.0",
        "141127198001011234.00",
        "1,41127E+17",
        "141,127,198,001,011,000",
        " 1.41127E+17 ",
        "１．４１１２７Ｅ＋１７",
    ],
)
def test_excel_scientific_notation_detected(raw):
    assert error_of(raw) == MSG_EXCEL_CORRUPTED


@pytest.mark.parametrize(
    "raw", [141127198001011234, 1.41127198001011e17, 141127198001011000.0, Decimal("1.41127E+17")]
)
def test_numbers_instead_of_text_are_reported_as_excel_corruption(raw):
    assert error_of(raw) == MSG_EXCEL_CORRUPTED


def test_excel_message_text():
    assert MSG_EXCEL_CORRUPTED == (
        "身份证号已被 Excel 当作数字处理而损坏（如 1.41127E+17），请把该列设为文本格式后重新输入"
    )


def test_other_types_rejected_with_value_error():
    assert "文本" in error_of(["141127"])
    assert "文本" in error_of(True)


# --- masking and age -----------------------------------------------------------------------


def test_mask():
    assert mask_id_number("141127198001011234") == "141127********1234"
    assert mask_id_number("11010519491231002x") == "110105********002X"
    assert mask_id_number(" 141127 19800101 1234 ") == "141127********1234"


def test_mask_never_leaks_short_or_empty_values():
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("141127800101123") == "141127********1123"  # old 15-digit number


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1980, 1, 1), date(2025, 1, 1), 45),
        (date(1980, 1, 1), date(2024, 12, 31), 44),
        (date(1980, 6, 15), date(1980, 6, 15), 0),
        (date(1956, 2, 29), date(2025, 2, 28), 68),
        (date(1956, 2, 29), date(2025, 3, 1), 69),
        (date(1956, 2, 29), date(2024, 2, 29), 68),
    ],
)
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


# --- synthetic numbers ---------------------------------------------------------------------


def test_make_id_number_example():
    number = make_id_number("141127", date(1980, 1, 1), 12, "M")
    assert number[:17] == "14112719800101125"  # order code 12 + gender digit 2*(12 % 5)+1
    assert number[17] == check_digit(number[:17])
    number_f = make_id_number("141127", date(1980, 1, 1), 0, "F")
    assert number_f[14:17] == "002"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area_code": "14112"},
        {"area_code": "14112A"},
        {"sequence": -1},
        {"sequence": 100},
        {"gender": "男"},
        {"birth_date": date(1899, 12, 31)},
    ],
)
def test_make_id_number_rejects_bad_arguments(kwargs):
    args = {"area_code": "141127", "birth_date": date(1980, 1, 1), "sequence": 5, "gender": "M"}
    args.update(kwargs)
    with pytest.raises(ValueError):
        make_id_number(**args)


@given(
    area=st.from_regex(r"\A[1-9][0-9]{5}\Z", fullmatch=True),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=99),
    gender=st.sampled_from(["M", "F"]),
)
def test_make_id_number_always_validates_and_round_trips(area, birth, sequence, gender):
    number = make_id_number(area, birth, sequence, gender)
    info = validate_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.gender == gender
    assert mask_id_number(number) == number[:6] + "********" + number[-4:]


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    gender=st.sampled_from(["M", "F"]),
)
def test_make_id_number_distinct_for_distinct_sequences(birth, gender):
    numbers = {make_id_number("141127", birth, s, gender) for s in range(100)}
    assert len(numbers) == 100


@given(
    first17=st.from_regex(r"\A[0-9]{17}\Z", fullmatch=True), wrong=st.sampled_from("0123456789X")
)
def test_only_one_check_character_is_accepted(first17, wrong):
    number = first17 + wrong
    try:
        validate_id_number(number, today=TODAY)
    except ValueError:
        return
    assert wrong == check_digit(first17)


# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("19912345678", "19912345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("0358-4123456", "0358-4123456"),
        ("03584123456", "0358-4123456"),
        ("(0358) 4123456", "0358-4123456"),
        ("（0358）4123456", "0358-4123456"),
        ("0358－4123456", "0358-4123456"),
        ("+86 358 4123456", "0358-4123456"),
        ("010-61234567", "010-61234567"),
        ("01061234567", "010-61234567"),
        ("0351-71234567", "0351-71234567"),
    ],
)
def test_valid_phones(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # 12x is not a mobile prefix
        "23812345678",
        "3584123456",  # Excel dropped the leading 0
        "0358-412345",  # 6-digit local number
        "0358-012345",  # local number cannot start with 0
        "0358-412345678",  # 9-digit local number
        "138ABCD5678",
        "+1 202 555 0100",
        "电话13812345678",
    ],
)
def test_invalid_phones(raw):
    with pytest.raises(ValueError) as excinfo:
        validate_phone(raw)
    assert str(excinfo.value) == MSG_BAD_PHONE == "请输入正确的手机号或固定电话"


def test_normalize_phone():
    assert normalize_phone(" +86 138-1234-5678 ") == "13812345678"
    assert normalize_phone("0358 - 412 3456") == "03584123456"
    assert normalize_phone(None) == ""
    assert normalize_phone("\u3000") == ""
