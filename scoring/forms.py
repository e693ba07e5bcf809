"""Forms of the branch's month screen: quick entry of declarations, deductions, clearing items,
review and closing the month.

Members and items are picked by typing (an <input list=…> with a <datalist>): a secretary types
"王" or "g03" and picks from the suggestions, without leaving the keyboard.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings

from core.forms import CleanCharField, ConfirmDuplicateMixin, OneTimeKeyMixin
from core.images import reencode_photo
from members.forms import DATE_INPUT
from members.models import Member
from scoring.models import RuleItem

# Form-level bounds only: the item's own range is checked by scoring.services. No item of the
# catalogue is worth more than 10 points; 100 leaves room for a county's own catalogue.
MAX_ITEM_POINTS = Decimal(100)
POINTS_ERRORS = {
    "invalid": "请输入数字，例如 2 或 3.5。",
    "min_value": "分值须大于 0。",
    "max_value": "分值不能超过 100 分，请核对。",
    "max_digits": "分值过大，请核对。",
    "max_whole_digits": "分值过大，请核对。",
    "max_decimal_places": "分值最多保留两位小数。",
}


def member_label(member: Member) -> str:
    return f"{member.name}（{member.card_number}）"


def item_label(item: RuleItem) -> str:
    return f"{item.code} {item.name}（{item.points_label}分）"


class PickByTextField(CleanCharField):
    """A text box that resolves to one object of a known list: by its full label, by a unique
    exact name, or (for items) by code, case-insensitively. What was typed is normalised first,
    so "ｇ０３" typed with a Chinese input method finds G03."""

    def __init__(self, *args, datalist_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.datalist_id = datalist_id
        self.widget.attrs.update({"list": datalist_id, "autocomplete": "off"})
        self.options: list = []
        self.labels: dict[str, object] = {}
        self.aliases: dict[str, object] = {}

    def set_options(self, options, label, aliases) -> None:
        self.options = list(options)
        self.labels = {label(o): o for o in self.options}
        counts: dict[str, int] = {}
        self.aliases = {}
        for option in self.options:
            for alias in aliases(option):
                key = alias.strip().lower()
                counts[key] = counts.get(key, 0) + 1
                self.aliases[key] = option
        for key, count in counts.items():
            if count > 1:  # two members with the same name: the label (with card number) decides
                del self.aliases[key]

    def clean(self, value):
        text = super().clean(value).strip()
        if text in self.labels:
            return self.labels[text]
        found = self.aliases.get(text.lower())
        if found is None:
            raise forms.ValidationError(self.error_messages["not_found"])
        return found


class MemberPickField(PickByTextField):
    default_error_messages = {
        "not_found": "请从列表中选择本月在册的党员（同名时请选带卡号的一项）。",
        "required": "请选择党员。",
    }


class ItemPickField(PickByTextField):
    default_error_messages = {
        "not_found": "请输入项目编号（如 G03）或从列表中选择本月适用的项目。",
        "required": "请选择项目。",
    }


class MonthEntryForm(OneTimeKeyMixin, ConfirmDuplicateMixin, forms.Form):
    """Base for the entries made on the month screen: who and which item. Each blank form carries
    a one-time key; an entry like one already made asks to be confirmed."""

    item_kind = ""

    member = MemberPickField(label="党员", datalist_id="month-members", max_length=60)
    item = ItemPickField(label="项目", datalist_id="", max_length=200)
    occurred_on = forms.DateField(label="日期", widget=DATE_INPUT)

    def __init__(self, *args, members, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].set_options(members, member_label, lambda m: [m.name])
        self.fields["item"].datalist_id = f"items-{self.item_kind}"
        self.fields["item"].widget.attrs["list"] = f"items-{self.item_kind}"
        self.fields["item"].set_options(items, item_label, lambda i: [i.code, i.name])


class DeclarationForm(MonthEntryForm):
    item_kind = "bonus"

    description = CleanCharField(label="做了什么", max_length=300)
    points = forms.DecimalField(
        label="分值",
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_ITEM_POINTS,
        help_text="固定分值的项目可不填。",
        error_messages=POINTS_ERRORS,
    )
    photo = forms.FileField(
        label="照片（可选）",
        required=False,
        help_text="JPEG 或 PNG，不超过 5 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].widget.attrs["autofocus"] = True

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size > settings.MAX_UPLOAD_BYTES:  # before decoding anything
            raise forms.ValidationError("照片不能超过 5 MB，请压缩后再上传。")
        # Decoded and encoded again as a JPEG without metadata, under a random name.
        return reencode_photo(photo)


class DeductionForm(MonthEntryForm):
    item_kind = "deduction"

    reason = CleanCharField(label="扣分事由", max_length=300)


class ClearingForm(MonthEntryForm):
    item_kind = "clearing"

    reason = CleanCharField(label="事由", max_length=300)
    confirmed = forms.BooleanField(
        label="我是支部书记，确认该党员本年度积分全部清除",
        required=True,
        error_messages={"required": "清除全年积分须由支部书记勾选确认。"},
    )


class ReviewForm(forms.Form):
    APPROVE, RETURN = "approve", "return"

    action = forms.ChoiceField(
        label="审议结果",
        choices=[(APPROVE, "通过"), (RETURN, "退回")],
        widget=forms.RadioSelect,
        initial=APPROVE,
    )
    points = forms.DecimalField(
        label="认定分值",
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_ITEM_POINTS,
        help_text="与申报分值不同时须写明理由。",
        error_messages=POINTS_ERRORS,
    )
    reason = CleanCharField(label="理由", max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.RETURN and not cleaned.get("reason", "").strip():
            self.add_error("reason", "退回时请写明理由。")
        return cleaned


class CloseMonthForm(forms.Form):
    meeting_date = forms.DateField(label="支委会日期", widget=DATE_INPUT)
