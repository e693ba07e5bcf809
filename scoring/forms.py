"""Forms of the branch's month screen: quick entry of declarations, deductions, clearing items,
review and closing the month.

Members and items are picked by typing (an <input list=…> with a <datalist>): a secretary types
"王" or "g03" and picks from the suggestions, without leaving the keyboard.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.forms import CleanCharField, ConfirmDuplicateMixin, DayInMonthField, OneTimeKeyMixin
from core.images import reencode_photo
from members.models import Member
from scoring.models import Attendance, Meeting, RuleItem

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


def points_field(*, label="分值", help_text="固定分值的项目可不填。") -> forms.DecimalField:
    """An item's points as typed: optional (a fixed item has its own), two decimals, bounded."""
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_ITEM_POINTS,
        help_text=help_text,
        error_messages=POINTS_ERRORS,
    )


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
    """Base for the entries made on the month screen: who and which item, in the order people
    say it — member, item, what was done, points, and the date last (today by default; typed as
    11-28, 20261128 or 28 for that month's 28th). Each blank form carries a one-time key; an entry
    like one already made asks to be confirmed."""

    item_kind = ""

    member = MemberPickField(label="党员", datalist_id="month-members", max_length=60)
    item = ItemPickField(label="项目", datalist_id="", max_length=200)

    def __init__(self, *args, members, items, year=None, month=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].set_options(members, member_label, lambda m: [m.name])
        self.fields["item"].datalist_id = f"items-{self.item_kind}"
        self.fields["item"].widget.attrs["list"] = f"items-{self.item_kind}"
        self.fields["item"].set_options(items, item_label, lambda i: [i.code, i.name])
        self.fields["occurred_on"] = DayInMonthField(label="日期", year=year, month=month)
        # The date last: typing goes member → item → text → points → date → save.
        self.order_fields(
            [
                "member",
                "item",
                "description",
                "reason",
                "points",
                "confirmed",
                "photo",
                "occurred_on",
            ]
        )


class DeclarationForm(MonthEntryForm):
    item_kind = "bonus"

    description = CleanCharField(label="做了什么", max_length=300)
    points = points_field()
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


NAME_SEPARATORS = re.compile(r"[\s,，、;；/]+")


class ActivityForm(OneTimeKeyMixin, ConfirmDuplicateMixin, forms.Form):
    """One activity for many members: the item, what was done, the points and the date once, then
    the members — ticked on the roll, or names pasted (separated by 、 , or spaces)."""

    item = ItemPickField(label="项目", datalist_id="items-bonus", max_length=200)
    description = CleanCharField(label="活动内容", max_length=300)
    points = points_field(label="每人分值")
    members = forms.MultipleChoiceField(
        label="参加的党员", required=False, widget=forms.CheckboxSelectMultiple
    )
    names = CleanCharField(
        label="或粘贴姓名",
        required=False,
        max_length=2000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：王建国、李秀英、张志强"}),
        help_text="用顿号、逗号或空格隔开；与上面勾选的合在一起。",
    )

    def __init__(self, *args, members, items, year=None, month=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.roll = list(members)
        self.fields["item"].set_options(items, item_label, lambda i: [i.code, i.name])
        self.fields["members"].choices = [(str(m.pk), m.name) for m in self.roll]
        self.fields["occurred_on"] = DayInMonthField(label="日期", year=year, month=month)

    def member_boxes_html(self):
        """The roll's checkboxes as HTML, built directly (cheaper than 150 widget templates)."""
        name = self.add_prefix("members")
        ticked = {str(v) for v in (self["members"].value() or [])}
        return format_html_join(
            "",
            '<label><input type="checkbox" name="{}" value="{}"{}> {}</label>',
            (
                (name, m.pk, mark_safe(" checked") if str(m.pk) in ticked else "", m.name)
                for m in self.roll
            ),
        )

    def clean(self):
        cleaned = super().clean()
        by_pk = {str(m.pk): m for m in self.roll}
        chosen = [by_pk[pk] for pk in cleaned.get("members", []) if pk in by_pk]
        by_name: dict[str, list] = {}
        for member in self.roll:
            by_name.setdefault(member.name, []).append(member)
        unknown, ambiguous = [], []
        for name in NAME_SEPARATORS.split(cleaned.get("names") or ""):
            if not name:
                continue
            found = by_name.get(name, [])
            if len(found) == 1:
                chosen.append(found[0])
            elif found:
                ambiguous.append(name)
            else:
                unknown.append(name)
        if unknown:
            self.add_error("names", f"本月名册上没有：{'、'.join(unknown)}。")
        if ambiguous:
            self.add_error("names", f"同名的党员请在名单中勾选：{'、'.join(ambiguous)}。")
        unique = list(dict.fromkeys(chosen))
        if not unique and not self.errors:
            self.add_error("members", "请勾选参加的党员，或粘贴他们的姓名。")
        cleaned["chosen"] = unique
        return cleaned


class MeetingForm(OneTimeKeyMixin, forms.Form):
    """A meeting's roll call: everyone present unless marked 请假 (with the reason) or 缺席."""

    kind = forms.ChoiceField(label="会议", choices=Meeting.Kind.choices)
    topic = CleanCharField(label="内容", max_length=200, required=False)

    def __init__(self, *args, members, year=None, month=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.roll = list(members)
        self.fields["held_on"] = DayInMonthField(label="日期", year=year, month=month)
        for member in self.roll:
            self.fields[f"att_{member.pk}"] = forms.ChoiceField(
                label=member.name,
                choices=Attendance.Status.choices,
                initial=Attendance.Status.PRESENT,
                widget=forms.RadioSelect,
            )
            self.fields[f"why_{member.pk}"] = CleanCharField(
                label=f"{member.name}请假事由", required=False, max_length=200
            )

    def roll_html(self):
        """The roll call's rows as HTML, built directly: through the widget templates, 150
        members × 4 inputs cost the month screen about 200 ms on every load."""
        choices = Attendance.Status.choices
        rows = []
        for member in self.roll:
            status_name, why_name = (
                self.add_prefix(f"att_{member.pk}"),
                self.add_prefix(f"why_{member.pk}"),
            )
            status = self[f"att_{member.pk}"].value() or Attendance.Status.PRESENT
            why = self[f"why_{member.pk}"].value() or ""
            radios = format_html_join(
                "",
                '<label><input type="radio" name="{}" value="{}"{}> {}</label>',
                (
                    (status_name, value, mark_safe(" checked") if value == status else "", label)
                    for value, label in choices
                ),
            )
            rows.append(
                format_html(
                    '<tr><th scope="row">{}</th><td class="roll-status">{}</td>'
                    '<td class="roll-why"><input type="text" name="{}" id="id_{}" value="{}" '
                    'maxlength="200" aria-label="{}请假事由"></td></tr>',
                    member.name,
                    radios,
                    why_name,
                    why_name,
                    why,
                    member.name,
                )
            )
        return mark_safe("".join(rows))  # every part escaped by format_html above

    def clean(self):
        cleaned = super().clean()
        missing = [
            m.name
            for m in self.roll
            if cleaned.get(f"att_{m.pk}") == Attendance.Status.EXCUSED
            and not cleaned.get(f"why_{m.pk}")
        ]
        if missing:
            raise forms.ValidationError(f"请写明请假事由：{'、'.join(missing)}。")
        return cleaned

    def attendance(self) -> dict:
        data = self.cleaned_data
        return {m: (data[f"att_{m.pk}"], data.get(f"why_{m.pk}") or "") for m in self.roll}


class ReviewForm(forms.Form):
    APPROVE, RETURN, WITHDRAW = "approve", "return", "withdraw"

    action = forms.ChoiceField(
        label="审议结果",
        choices=[(APPROVE, "通过"), (RETURN, "退回"), (WITHDRAW, "撤回（录错了，不作审议）")],
        widget=forms.RadioSelect,
        initial=APPROVE,
    )
    points = points_field(label="认定分值", help_text="与申报分值不同时须写明理由。")
    reason = CleanCharField(label="理由", max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") in (self.RETURN, self.WITHDRAW)
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", "退回或撤回时请写明理由。")
        return cleaned


class DeclarationEditForm(forms.Form):
    """Correcting a waiting entry: what was done, the date and (for a bonus) the points."""

    description = CleanCharField(label="做了什么", max_length=300)
    points = points_field()

    def __init__(self, *args, declaration, year, month, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "description": declaration.description,
                "points": declaration.points_claimed,
                "occurred_on": declaration.occurred_on,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"] = DayInMonthField(label="日期", year=year, month=month)
        if declaration.item.kind == RuleItem.Kind.DEDUCTION:
            del self.fields["points"]


class CloseMonthForm(forms.Form):
    meeting_date = DayInMonthField(label="支委会日期")
    approve_waiting = forms.BooleanField(label="同时按申报分值通过全部待审议的申报", required=False)


class MonthImportForm(forms.Form):
    file = forms.FileField(
        label="填好的 Excel 模板",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
