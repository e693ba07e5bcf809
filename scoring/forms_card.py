"""The correction form (更正): a signed number of points against a closed month, with a reason.

Every error is a plain Chinese sentence next to the field it is about.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import CleanCharField, ConfirmDuplicateMixin, OneTimeKeyMixin
from scoring.services import MAX_CORRECTION_POINTS, MSG_CORRECTION_TOO_LARGE

# What a Chinese input method may type instead of ASCII: full-width digits, signs and point,
# the typographic minus and the ideographic space.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．＋－−—\u3000", "0123456789.+--- ")


def month_value(year: int, month: int) -> str:
    """The select's value for a month, e.g. "2026-03" (also used in ?month= links)."""
    return f"{year}-{month:02d}"


class SignedPointsField(forms.DecimalField):
    """Points with a sign: "-2", "+3.5", "－２" all work; at most two decimals."""

    default_error_messages = {
        "required": "请填写更正分值。",
        "invalid": "请输入数字，例如 -2（减分）或 3.5（加分）。",
        "max_digits": "分值过大，请核对。",
        "max_whole_digits": "分值过大，请核对。",
        "max_decimal_places": "分值最多保留两位小数。",
        "min_value": MSG_CORRECTION_TOO_LARGE,
        "max_value": MSG_CORRECTION_TOO_LARGE,
    }

    def to_python(self, value):
        if isinstance(value, str):
            value = value.translate(_FULL_WIDTH).replace(" ", "")
        return super().to_python(value)


class CorrectionForm(OneTimeKeyMixin, ConfirmDuplicateMixin, forms.Form):
    month = forms.ChoiceField(
        label="更正月份",
        help_text="只能更正本支部已结账的月份；未结账的月份请直接在月度审议中处理。",
        error_messages={
            "required": "请选择要更正的月份。",
            "invalid_choice": "该月尚未结账（或不属于本支部），不能登记更正；"
            "未结账的月份请直接在月度审议中处理。",
        },
    )
    points = SignedPointsField(
        label="更正分值",
        max_digits=7,
        decimal_places=2,
        min_value=-MAX_CORRECTION_POINTS,
        max_value=MAX_CORRECTION_POINTS,
        help_text="加分填正数，减分填负数（如 -2），最多两位小数。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如 -2 或 3.5"}),
    )
    reason = CleanCharField(
        label="更正理由",
        max_length=300,
        multiline=True,
        help_text="写明更正的原因和依据（如支委会决定的日期），本支部和上级组织可见，不印在发给党员的积分卡上。",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "请写明更正理由。",
            "max_length": "更正理由最多 %(limit_value)d 个字（现有 %(show_value)d 个）。",
        },
    )

    def __init__(self, *args, months: list[tuple[int, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "请选择已结账的月份")] + [
            (month_value(year, month), f"{year}年{month}月") for year, month in months
        ]

    def clean_month(self) -> tuple[int, int]:
        year, month = self.cleaned_data["month"].split("-")
        return int(year), int(month)

    def clean_points(self) -> Decimal:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("更正分值不能为 0。")
        return points
