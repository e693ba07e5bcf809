"""Forms for the roster. Every error is a plain Chinese sentence next to the field it is about."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from core.forms import CleanCharField
from members.contact import validate_phone
from members.idcard import age_on, validate_id_number
from members.models import Branch, Category, Gender, Member, Official
from members.scope import MSG_REGISTERED_ELSEWHERE, registered_elsewhere_message

MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
# A text box, not <input type=date>: the browser's date box splits year/month/day, traps Tab and
# turns a typed 20261128 into nonsense. Dates are typed as 2026-11-28 or 20261128 (see
# lanxian_points/formats) and shown as 2026-11-28.
DATE_INPUT = forms.DateInput(
    attrs={"inputmode": "numeric", "placeholder": "如 2026-11-28", "autocomplete": "off"},
    format="%Y-%m-%d",
)


class MonthField(forms.DateField):
    """A month picker (<input type=month>) that yields the first day of the month."""

    widget = MONTH_INPUT
    input_formats = ["%Y-%m", "%Y-%m-%d", "%Y/%m", "%Y年%m月"]
    default_error_messages = {"invalid": "请输入正确的月份，例如 2026-03。"}


def check_member_particulars(cleaned: dict, add_error) -> None:
    """Shared by the member form and the roster import: the ID number must agree with the
    typed birth date and gender, and the member must have been 18 or older when joining."""
    raw_id = cleaned.get("id_number")
    if raw_id is None:
        return
    try:
        info = validate_id_number(raw_id)
    except ValueError as error:
        add_error("id_number", str(error))
        return
    cleaned["id_number"] = info.number
    birth_date = cleaned.get("birth_date")
    if birth_date and birth_date != info.birth_date:
        add_error(
            "birth_date",
            f"出生日期与身份证号不一致（身份证号显示为 {info.birth_date:%Y-%m-%d}）。",
        )
    else:
        cleaned["birth_date"] = info.birth_date
    gender = cleaned.get("gender")
    if gender and gender != info.gender:
        add_error("gender", f"性别与身份证号不一致（身份证号显示为{Gender(info.gender).label}）。")
    else:
        cleaned["gender"] = info.gender
    joined = cleaned.get("joined_party")
    if joined:
        if joined > timezone.localdate():
            add_error("joined_party", "入党日期不能晚于今天。")
        elif age_on(info.birth_date, joined) < 18:
            add_error("joined_party", "入党时应年满十八周岁，请核对入党日期和身份证号。")


def clean_person_name(value: str) -> str:
    """A member's name as stored: no spaces inside (people pad two-character names, "王  芳")."""
    return value.replace(" ", "").replace("\u3000", "")


class MemberForm(forms.ModelForm):
    """Add or edit a member. ``branch`` is the roster the member is (to be) on and ``viewer`` the
    official typing: an ID number already registered is reported as on this roster, or as
    registered elsewhere without saying where (the county admin is told where, in their county).
    """

    name = CleanCharField(label="姓名", max_length=30)
    notes = CleanCharField(label="备注", max_length=200, required=False)
    birth_date = forms.DateField(
        label="出生日期",
        required=False,
        widget=DATE_INPUT,
        help_text="可不填，自动从身份证号读取；填写时须与身份证号一致。",
    )
    gender = forms.ChoiceField(
        label="性别",
        required=False,
        choices=[("", "按身份证号"), *Gender.choices],
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "gender",
            "id_number",
            "birth_date",
            "phone",
            "joined_party",
            "has_plaque",
            "notes",
        ]
        widgets = {
            "joined_party": DATE_INPUT,
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        error_messages = {
            # Only reached when two people register the same number at the same moment; the
            # usual case is answered in clean() below, and neither names another branch.
            "id_number": {"unique": MSG_REGISTERED_ELSEWHERE},
        }

    def __init__(self, *args, branch: Branch | None = None, viewer: Official | None = None, **kw):
        super().__init__(*args, **kw)
        self.branch = branch if branch is not None else getattr(self.instance, "branch", None)
        self.viewer = viewer

    def clean_name(self):
        name = clean_person_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("请填写姓名。")
        return name

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return validate_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        # Normalising the ID number here, before the model's unique check runs, means
        # "１４１…" typed in full width is caught when "141…" is already registered.
        check_member_particulars(cleaned, self.add_error)
        if "id_number" not in self.errors and cleaned.get("id_number"):
            self._check_not_registered(cleaned["id_number"])
        return cleaned

    def _check_not_registered(self, number: str) -> None:
        """An error on the ID number if another member has it (the model's unique check then
        does not run: Django skips it for a field that already has an error)."""
        existing = (
            Member.objects.filter(id_number=number)
            .exclude(pk=self.instance.pk)
            .select_related("branch__township")
            .first()
        )
        if existing is None:
            return
        if self.branch is not None and existing.branch_id == self.branch.pk:
            message = f"该身份证号已在本支部登记（{existing.name}），请勿重复登记。"
        else:
            message = registered_elsewhere_message(self.viewer, existing.branch)
        self.add_error("id_number", message)


class MemberCreateForm(MemberForm):
    category = forms.ChoiceField(label="党员类别", choices=Category.choices)
    on_roll_from = MonthField(
        label="自何月起在本支部名册",
        help_text="该月起计算基础积分。",
    )

    class Meta(MemberForm.Meta):
        fields = MemberForm.Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_roll_from"].initial = timezone.localdate().replace(day=1)
        self.order_fields(["name", "id_number", "gender", "birth_date", "category"])


class CategoryChangeForm(forms.Form):
    category = forms.ChoiceField(label="新类别", choices=Category.choices)
    effective_from = MonthField(label="自何月起生效")
    reason = CleanCharField(
        label="变更原因", max_length=200, multiline=True, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransferForm(forms.Form):
    to_branch = forms.ModelChoiceField(
        label="转入党支部", queryset=Branch.objects.none(), empty_label="请选择"
    )
    date = forms.DateField(
        label="转出日期", widget=DATE_INPUT, help_text="该月仍计入本支部，次月起计入转入支部。"
    )
    reason = CleanCharField(label="原因", max_length=200)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_branch"].queryset = branches.select_related("township")
        self.fields["to_branch"].label_from_instance = lambda b: f"{b.township.name} {b.name}"


class LeaveForm(forms.Form):
    status = forms.ChoiceField(
        label="离册类型",
        choices=[c for c in Member.Status.choices if c[0] != Member.Status.ACTIVE],
    )
    date = forms.DateField(label="日期", widget=DATE_INPUT, help_text="该月为最后一个在册月份。")
    reason = CleanCharField(label="说明", max_length=200)

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate() + datetime.timedelta(days=31):
            raise forms.ValidationError("日期不能晚于下个月。")
        return date
