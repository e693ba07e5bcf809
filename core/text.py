"""Text people type or import: one normal form, and no invisible characters.

A name or a text that other people read (a notice, an objection's answer, a roster) must show
what it says. Characters that are not seen but change what is seen are refused, not silently
removed, so nobody stores a name that looks like another: the bidirectional overrides and
isolates (U+202E turns "王建国" into a name displayed backwards), zero-width spaces and joiners
(U+200B, U+200D: two names that look alike but do not match), the byte-order mark, control
characters, private-use, surrogate and unassigned code points.

Normalisation is NFKC, character by character, except where NFKC would turn a character into
punctuation or a symbol, or into several characters: full-width letters and digits (Ａ１) become
ASCII and odd spaces a plain space, while the full-width punctuation of Chinese text
(，：；（）？！～), the ellipsis (…) and units like ㎡ or ℃ are kept as typed. Plain NFKC
would turn "如有异议，请反映（电话）" into "如有异议,请反映(电话)" on a printed notice.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

__all__ = ["MULTILINE_CONTROLS", "REFUSED_CATEGORIES", "clean_text", "normalize_text"]

# Cc control, Cf format (bidi controls, zero-width characters, BOM, ...), Co private use,
# Cs surrogate, Cn unassigned (in the Unicode version this Python knows).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
MULTILINE_CONTROLS = frozenset("\n\r\t")
# Line and paragraph separators (Zl, Zp) are invisible line breaks: refused on one line, read
# as a newline in a multi-line text.
_LINE_SEPARATORS = {"\u2028": "\n", "\u2029": "\n"}


def _compatible(ch: str) -> str:
    mapped = unicodedata.normalize("NFKC", ch)
    if mapped == ch or len(mapped) != 1 or unicodedata.category(mapped)[0] in "PS":
        return ch
    return mapped


def normalize_text(value: str) -> str:
    """NFKC as described in the module docstring, without any check."""
    text = unicodedata.normalize("NFC", value)
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", "".join(_compatible(ch) for ch in text))


def _code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean_text(value: str, *, multiline: bool = False, label: str = "输入的内容") -> str:
    """``value`` normalised and trimmed, or ValidationError naming the first refused character.

    ``label`` names the field in the message ("姓名中含有…"). ``multiline`` allows newlines,
    carriage returns and tabs inside the text; leading and trailing whitespace is always trimmed.
    """
    text = normalize_text(str(value))
    if multiline:
        for separator, newline in _LINE_SEPARATORS.items():
            text = text.replace(separator, newline)
    text = text.strip()
    for ch in text:
        if ch in _LINE_SEPARATORS or (
            unicodedata.category(ch) in REFUSED_CATEGORIES
            and not (multiline and ch in MULTILINE_CONTROLS)
        ):
            if ch in "\n\r\u2028\u2029":
                message = f"{label}只能写一行，请删除其中的换行（{_code_point(ch)}）后重新输入。"
            else:
                message = f"{label}中含有不可见或控制字符（{_code_point(ch)}），请删除后重新输入。"
            raise ValidationError(message, code="invisible_character")
    return text
