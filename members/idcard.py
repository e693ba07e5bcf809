"""Chinese resident identity numbers (公民身份号码, GB 11643-1999).

Pure Python, no Django: used by forms, the Excel importer and the demo data.

An 18-character number is: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit order
code (the last of which is odd for men, even for women) and an ISO 7064 MOD 11-2 check
character (0-9 or X).

Excel is the usual source of broken numbers: a column not formatted as text turns
``141127198001011234`` into ``1.41127E+17`` (detectable) or keeps only 15 significant digits so
that the number ends in ``000`` (not reliably detectable: the check digit is then almost always
wrong, and the message says so).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "MSG_BAD_CHECK_DIGIT",
    "MSG_EXCEL_CORRUPTED",
    "IdInfo",
    "age_on",
    "check_digit",
    "make_id_number",
    "mask_id_number",
    "normalize_id_number",
    "validate_id_number",
]

WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_MAP = "10X98765432"
MIN_BIRTH_YEAR = 1900

MSG_EMPTY = "请输入身份证号"
MSG_EXCEL_CORRUPTED = (
    "身份证号已被 Excel 当作数字处理而损坏（如 1.41127E+17），请把该列设为文本格式后重新输入"
)
MSG_BAD_CHECK_DIGIT = "身份证号校验位错误，请核对后重新输入"
MSG_EXCEL_TRAILING_ZEROS_HINT = (
    "（该号码末三位为 000，可能已被 Excel 截断精度，请把该列设为文本格式后重新输入）"
)

# "1.41127E+17", "1.41127e17", "141127198001011000.0", "1,41127E+17", "141,127,198,001,011,000"
_EXCEL_NUMBER_RE = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*(E[+-]?\d+)?$")


@dataclass(frozen=True)
class IdInfo:
    """A validated ID number and what it encodes."""

    number: str  # normalised, 18 characters, upper-case X
    birth_date: date
    gender: str  # "M" or "F"


def normalize_id_number(raw: str) -> str:
    """Return ``raw`` with all whitespace removed and full-width characters made ASCII.

    Full-width digits ０-９ and Ｘ/ｘ become ASCII; a lower-case x becomes X. All whitespace
    (including the ideographic space U+3000 and no-break spaces) is removed, and so is a leading
    apostrophe (Excel's "store as text" marker, which survives some copy-and-paste).
    """
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(ch for ch in text if not ch.isspace())
    if text.startswith("'"):
        text = text[1:]
    return text.upper()


def _looks_like_excel_number(text: str) -> bool:
    """True if ``text`` is a number as Excel writes it: with a decimal point or an exponent."""
    if not _EXCEL_NUMBER_RE.match(text):
        return False
    return any(ch in text for ch in ".,E")


def check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("计算校验位需要17位数字")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_MAP[total % 11]


def validate_id_number(raw: object, *, today: date | None = None) -> IdInfo:
    """Validate an 18-character ID number; return its normalised form, birth date and gender.

    Raises ``ValueError`` with a Chinese message meant for the person typing the number.
    ``today`` (default: ``date.today()``) is the limit for a birth date in the future.
    """
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        # A cell that Excel (or a CSV reader) already turned into a number: the digits may be
        # lost already, and in any case we cannot tell.
        raise ValueError(MSG_EXCEL_CORRUPTED)
    if raw is None:
        raise ValueError(MSG_EMPTY)
    if not isinstance(raw, str):
        raise ValueError("身份证号必须以文本形式输入")

    number = normalize_id_number(raw)
    if not number:
        raise ValueError(MSG_EMPTY)
    if _looks_like_excel_number(number):
        raise ValueError(MSG_EXCEL_CORRUPTED)
    if len(number) != 18:
        raise ValueError(f"身份证号应为18位，当前为{len(number)}位")
    first17, last = number[:17], number[17]
    if not (first17.isascii() and first17.isdigit()):
        raise ValueError("身份证号前17位只能是数字")
    if not (last.isascii() and (last.isdigit() or last == "X")):
        raise ValueError("身份证号最后一位只能是数字或X")

    birth = _birth_date(first17[6:14])
    if today is None:
        today = date.today()
    if birth > today:
        raise ValueError("身份证号中的出生日期晚于今天，请核对后重新输入")
    if birth.year < MIN_BIRTH_YEAR:
        raise ValueError(f"身份证号中的出生日期早于{MIN_BIRTH_YEAR}年，请核对后重新输入")

    if check_digit(first17) != last:
        message = MSG_BAD_CHECK_DIGIT
        if number.endswith("000"):
            message += MSG_EXCEL_TRAILING_ZEROS_HINT
        raise ValueError(message)

    gender = "M" if int(first17[16]) % 2 == 1 else "F"
    return IdInfo(number=number, birth_date=birth, gender=gender)


def _birth_date(yyyymmdd: str) -> date:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ValueError(f"身份证号中的出生日期 {yyyymmdd} 不存在，请核对后重新输入") from None


def mask_id_number(number: object) -> str:
    """Mask an ID number for display inside the system: "141127********1234".

    Shows the first 6 and last 4 characters of a number of 15 or more characters; anything
    shorter is masked entirely. Empty or ``None`` gives "".
    """
    if number is None:
        return ""
    text = normalize_id_number(str(number))
    if len(text) < 15:
        return "*" * len(text)
    return f"{text[:6]}********{text[-4:]}"


def age_on(birth_date: date, on_date: date) -> int:
    """Age in full years (周岁) on ``on_date``. A 29 February birthday counts from 1 March."""
    before_birthday = (on_date.month, on_date.day) < (birth_date.month, birth_date.day)
    return on_date.year - birth_date.year - int(before_birthday)


def make_id_number(area_code: str, birth_date: date, sequence: int, gender: str) -> str:
    """Build a valid synthetic ID number (for demo and test data).

    The 3-digit order code is ``sequence`` (0-99) followed by a gender digit: odd for "M"
    (1, 3, 5, 7, 9), even and non-zero for "F" (2, 4, 6, 8), chosen from ``sequence`` so that
    numbers vary. Distinct ``(area_code, birth_date, sequence, gender)`` give distinct numbers.
    """
    if len(area_code) != 6 or not area_code.isascii() or not area_code.isdigit():
        raise ValueError("area_code must be 6 ASCII digits")
    if not 0 <= sequence <= 99:
        raise ValueError("sequence must be between 0 and 99")
    if gender == "M":
        gender_digit = 2 * (sequence % 5) + 1
    elif gender == "F":
        gender_digit = 2 * (sequence % 4) + 2
    else:
        raise ValueError('gender must be "M" or "F"')
    if not MIN_BIRTH_YEAR <= birth_date.year <= 9999:
        raise ValueError("birth_date year out of range")
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:02d}{gender_digit}"
    return first17 + check_digit(first17)
