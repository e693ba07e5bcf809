"""Form fields shared by every app."""

from __future__ import annotations

import datetime
import re
import unicodedata
import uuid

from django import forms

from core.text import clean_text

__all__ = ["CleanCharField", "ConfirmDuplicateMixin", "DayInMonthField", "OneTimeKeyMixin"]


class CleanCharField(forms.CharField):
    """A CharField whose value goes through :func:`core.text.clean_text`: normalised, trimmed,
    and refused with a plain message when it hides invisible or control characters.

    ``multiline=True`` (a textarea) allows line breaks and tabs inside the text. The length
    limit applies to the normalised text.
    """

    def __init__(self, *args, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        label = str(self.label) if self.label else "输入的内容"
        return clean_text(value, multiline=self.multiline, label=label)


class OneTimeKeyMixin(forms.Form):
    """A create form's one-time key (a hidden field, new at each blank form): a second POST with
    the same key — a double click, a retry on a bad connection — is answered with the first one's
    result instead of creating a second row (see core.submissions.once)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


class ConfirmDuplicateMixin(forms.Form):
    """An entry that looks like one already made is saved only when confirmed: the service
    refuses with an error on ``confirm_duplicate``, and the form then shows the checkbox."""

    confirm_duplicate = forms.BooleanField(
        label="确认重复登记", required=False, widget=forms.HiddenInput
    )

    def show_duplicate_confirmation(self) -> None:
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()


class DayInMonthField(forms.DateField):
    """A date typed as people type it: 2026-11-28, 20261128, 2026/11/28, 2026年11月28日, and —
    when the form knows its month — 11-28, 11.28, 11月28日 or just 28 (that month's 28th)."""

    default_error_messages = {
        "invalid": "请输入正确的日期，例如 2026-11-28、20261128 或 11-28。",
    }

    def __init__(self, *args, year: int | None = None, month: int | None = None, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"inputmode": "numeric", "placeholder": "如 11-28", "autocomplete": "off"},
                format="%Y-%m-%d",
            ),
        )
        super().__init__(*args, **kwargs)
        self.year, self.month = year, month

    def to_python(self, value):
        if isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip()
            if self.year is not None:
                day = _month_day(text, self.year, self.month)
                if day is not None:
                    return day
            value = text
        return super().to_python(value)


_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DAY = re.compile(r"(\d{1,2})\s*日?")


def _month_day(text: str, year: int, month: int | None) -> datetime.date | None:
    found = _MONTH_DAY.fullmatch(text)
    try:
        if found:
            return datetime.date(year, int(found[1]), int(found[2]))
        found = _DAY.fullmatch(text)
        if found and month is not None:
            return datetime.date(year, month, int(found[1]))
    except ValueError:
        raise forms.ValidationError(
            DayInMonthField.default_error_messages["invalid"], code="invalid"
        ) from None
    return None
