"""Mainland China phone numbers: mobiles and fixed lines. Pure Python, no Django.

Stored forms: a mobile as 11 digits ("13812345678"); a fixed line as area code, hyphen, local
number ("0358-4123456", "010-61234567").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MSG_BAD_PHONE", "normalize_phone", "validate_phone"]

MSG_BAD_PHONE = "请输入正确的手机号或固定电话"

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 020-029 have 3 digits, all others (03xx-09xx) have 4.
# Local numbers have 7 or 8 digits and do not start with 0 or 1.
_FIXED_3_RE = re.compile(r"^(0[12]\d)([2-9]\d{6,7})$")
_FIXED_4_RE = re.compile(r"^(0[3-9]\d\d)([2-9]\d{6,7})$")
# Characters people put between digits: spaces, hyphens and dashes, brackets, dots.
_SEPARATORS = set(" -‐‑‒–—―−()[]./")


def normalize_phone(raw: object) -> str:
    """Digits only: full-width digits made ASCII, separators removed, +86 / 0086 / 86 dropped.

    ``"+86 138-1234-5678"`` → ``"13812345678"``; ``"（0358）４１２３４５６"`` → ``"03584123456"``;
    ``"+86 358 4123456"`` → ``"03584123456"`` (the trunk 0 restored). Anything else that is not
    a digit is kept so that validation rejects it. ``None`` gives "".
    """
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a cell Excel turned into a number: 13812345678.0
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    if text.startswith("+86"):
        text = _drop_country_code(text[3:])
    elif text.startswith("0086"):
        text = _drop_country_code(text[4:])
    elif text.startswith("86") and len(text) == 13 and text[2] == "1":
        text = text[2:]  # 86 13812345678
    return text


def _drop_country_code(national: str) -> str:
    # In international form a fixed line has no trunk 0: +86 358 4123456.
    if national and not national.startswith(("0", "1")):
        return "0" + national
    return national


def validate_phone(raw: object) -> str:
    """Return the stored form of a mainland mobile or fixed-line number, or raise ValueError.

    Blank input is an error too: callers with an optional phone field check for blank first.
    """
    text = normalize_phone(raw)
    if not (text.isascii() and text.isdigit()):
        raise ValueError(MSG_BAD_PHONE)
    if _MOBILE_RE.match(text):
        return text
    match = _FIXED_3_RE.match(text) or _FIXED_4_RE.match(text)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    raise ValueError(MSG_BAD_PHONE)
