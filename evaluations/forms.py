"""Forms of step 4 (党员评定): the members' meeting confirms a period, the township approves or
sends it back, the democratic appraisal, the follow-up of grades and members' appeals.

Every error is a plain Chinese sentence next to the field (or the member's row) it is about.
Business rules live in `evaluations.services`; a form only checks what it can see in the typed
values, and the view maps a service's ValidationError back onto the form.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.forms import CleanCharField
from evaluations.models import Appeal, Appraisal, FollowUp
from evaluations.services import MAX_BALLOTS, MAX_MEMBERS
from members.forms import DATE_INPUT

CONFIRM_FORM_ID = "confirm-form"


class _PlainInput:
    """Renders exactly as Django's ``input.html`` template would, without the template engine:
    the confirm form has two inputs per member, and rendering 300 of them through templates was
    a third of a 150-member branch's assessment page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<input type="{}" name="{}"', widget["type"], widget["name"])]
        if widget["value"] is not None:
            html.append(format_html(' value="{}"', widget["value"]))
        for key, item in widget["attrs"].items():
            if item is True:
                html.append(format_html(" {}", key))
            elif item is not False:
                html.append(format_html(' {}="{}"', key, item))
        html.append(">")
        return mark_safe("".join(html))  # every part was escaped by format_html


class PlainCheckboxInput(_PlainInput, forms.CheckboxInput):
    pass


class PlainTextInput(_PlainInput, forms.TextInput):
    pass


_COUNT_ERRORS = {
    "min_value": "票数不能为负数。",
    "invalid": "票数须为整数。",
    "max_value": f"票数过大（每类不超过 {MAX_BALLOTS} 张），请核对。",
}


class ConfirmForm(forms.Form):
    """The meeting's date and attendance, and per member a "暂缓确认" box with its reason.

    The per-member inputs sit in the members' table (outside the <form> element, joined to it
    by the HTML `form=` attribute), so an error shows in the member's own row.
    """

    meeting_date = forms.DateField(label="党员大会日期", widget=DATE_INPUT)
    members_expected = forms.IntegerField(
        label="应到党员（人）",
        min_value=1,
        max_value=MAX_MEMBERS,
        error_messages={
            "min_value": "应到人数须大于 0。",
            "max_value": f"应到人数不能超过 {MAX_MEMBERS} 人，请核对。",
            "invalid": "请输入整数。",
        },
    )
    members_present = forms.IntegerField(
        label="实到党员（人）",
        min_value=0,
        max_value=MAX_MEMBERS,
        error_messages={
            "min_value": "实到人数不能为负数。",
            "max_value": f"实到人数不能超过 {MAX_MEMBERS} 人，请核对。",
            "invalid": "请输入整数。",
        },
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for member in self.members:
            self.fields[f"hold_{member.pk}"] = forms.BooleanField(
                label=f"暂缓确认{member.name}",
                required=False,
                widget=PlainCheckboxInput(attrs={"form": CONFIRM_FORM_ID}),
            )
            self.fields[f"reason_{member.pk}"] = CleanCharField(
                label=f"{member.name}暂缓原因",
                required=False,
                max_length=300,
                widget=PlainTextInput(
                    attrs={
                        "form": CONFIRM_FORM_ID,
                        "placeholder": "暂缓原因",
                        "aria-label": f"{member.name}暂缓原因",
                    }
                ),
            )

    def meeting_fields(self):
        return [self[name] for name in ("meeting_date", "members_expected", "members_present")]

    def member_fields(self, member) -> tuple:
        return self[f"hold_{member.pk}"], self[f"reason_{member.pk}"]

    def clean(self):
        cleaned = super().clean()
        expected, present = cleaned.get("members_expected"), cleaned.get("members_present")
        if expected is not None and present is not None and present > expected:
            self.add_error("members_present", "实到人数不能多于应到人数。")
        for member in self.members:
            reason = (cleaned.get(f"reason_{member.pk}") or "").strip()
            if cleaned.get(f"hold_{member.pk}") and not reason:
                self.add_error(f"reason_{member.pk}", f"请写明暂缓确认{member.name}的原因。")
        return cleaned

    @property
    def row_error_count(self) -> int:
        return sum(1 for m in self.members if self.errors.get(f"reason_{m.pk}"))

    def held_back(self) -> dict[int, str]:
        return {
            member.pk: self.cleaned_data[f"reason_{member.pk}"].strip()
            for member in self.members
            if self.cleaned_data.get(f"hold_{member.pk}")
        }


class ReviewForm(forms.Form):
    """The township's decision: approve (comment optional) or send back (comment required).
    The action comes from the button pressed."""

    APPROVE, RETURN = "approve", "return"

    action = forms.ChoiceField(
        choices=[(APPROVE, "审核通过"), (RETURN, "退回修改")],
        error_messages={"required": "请选择“审核通过”或“退回修改”。"},
    )
    comment = CleanCharField(
        label="审核意见",
        required=False,
        multiline=True,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="审核通过时可不填；退回时必须写明需要修改的内容。",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.RETURN and not cleaned.get("comment", "").strip():
            self.add_error("comment", "退回时请写明需要修改的内容。")
        return cleaned


# --- Democratic appraisal ----------------------------------------------------------------------


class AppraisalMeetingForm(forms.Form):
    present = forms.IntegerField(
        label="参加测评党员人数",
        required=False,
        min_value=1,
        max_value=MAX_MEMBERS,
        help_text="录入票数时必填：每名党员的总票数不能多于参加测评的人数。",
        error_messages={
            "min_value": "参加测评人数须大于 0。",
            "max_value": f"参加测评人数不能超过 {MAX_MEMBERS} 人，请核对。",
            "invalid": "请输入整数。",
        },
    )


class AppraisalRowForm(forms.Form):
    """One member's appraisal: the score typed directly OR the four ballot counts.

    A row with neither is skipped. A blank ballot box next to a filled one counts as 0.
    """

    member = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.DecimalField(
        label="评议得分",
        required=False,
        max_digits=6,
        # The rule set's maximum (20 by default) is checked by the service; this only keeps
        # absurd values out.
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": "请输入数字，例如 18.5。",
            "min_value": "评议得分不能为负数。",
            "max_value": "评议得分过大，请核对。",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    excellent = forms.IntegerField(
        label="优秀票",
        required=False,
        min_value=0,
        max_value=MAX_BALLOTS,
        error_messages=_COUNT_ERRORS,
    )
    qualified = forms.IntegerField(
        label="合格票",
        required=False,
        min_value=0,
        max_value=MAX_BALLOTS,
        error_messages=_COUNT_ERRORS,
    )
    basic = forms.IntegerField(
        label="基本合格票",
        required=False,
        min_value=0,
        max_value=MAX_BALLOTS,
        error_messages=_COUNT_ERRORS,
    )
    unqualified = forms.IntegerField(
        label="不合格票",
        required=False,
        min_value=0,
        max_value=MAX_BALLOTS,
        error_messages=_COUNT_ERRORS,
    )
    source = forms.ChoiceField(
        label="评议来源", required=False, choices=Appraisal.Source.choices, initial="branch"
    )
    source_organisation = CleanCharField(label="现居住地党组织", required=False, max_length=100)

    BALLOTS = ("excellent", "qualified", "basic", "unqualified")

    def __init__(self, *args, member=None, category="", **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_member = member
        self.category = category
        for name in self.BALLOTS:
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "numeric", "size": 3})
        # Only a category C (long-term migrant) member may be appraised where they now live.
        self.allows_residence = category == "C"
        if not self.allows_residence:
            del self.fields["source"]
            del self.fields["source_organisation"]
        if member is not None:  # the table's inputs have no visible label of their own
            for name, field in self.fields.items():
                if name != "member":
                    field.widget.attrs["aria-label"] = f"{member.name} {field.label}"

    @property
    def ballot_fields(self):
        return [self[name] for name in self.BALLOTS]

    def clean(self):
        cleaned = super().clean()
        if self.expected_member is None or cleaned.get("member") != self.expected_member.pk:
            raise forms.ValidationError("党员名单已变化，请刷新页面后重新填写。")
        # A blank box next to a filled one counts as 0; a box with an error keeps the form
        # invalid, so the service is never called with a guess.
        has_ballots = any(self.data.get(self.add_prefix(n), "").strip() for n in self.BALLOTS)
        cleaned["has_ballots"] = has_ballots
        cleaned["ballots"] = (
            tuple(cleaned.get(name) or 0 for name in self.BALLOTS) if has_ballots else None
        )
        cleaned["source"] = cleaned.get("source") or Appraisal.Source.BRANCH
        cleaned["source_organisation"] = cleaned.get("source_organisation", "")
        return cleaned

    @property
    def is_filled(self) -> bool:
        data = self.cleaned_data
        return data.get("score") is not None or data.get("has_ballots", False)


class BaseAppraisalFormSet(forms.BaseFormSet):
    """One form per member on the roll, in the page's order; the hidden member pk of each row
    must be the member the page showed in that row."""

    def __init__(self, *args, members, categories, **kwargs):
        self.members = list(members)
        self.categories = categories
        kwargs.setdefault("initial", [{"member": m.pk} for m in self.members])
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        member = self.members[index] if index is not None and index < len(self.members) else None
        kwargs["member"] = member
        kwargs["category"] = self.categories.get(member.pk, "") if member else ""
        return kwargs

    def clean(self):
        if self.total_form_count() != len(self.members):
            raise forms.ValidationError("党员名单已变化，请刷新页面后重新填写。")


AppraisalFormSet = forms.formset_factory(
    AppraisalRowForm, formset=BaseAppraisalFormSet, extra=0, max_num=2000
)


# --- Follow-up and appeals ---------------------------------------------------------------------


class FollowUpForm(forms.Form):
    member = forms.TypedChoiceField(
        label="党员", coerce=int, error_messages={"invalid_choice": "请从列表中选择党员。"}
    )
    kind = forms.ChoiceField(label="类型", choices=FollowUp.Kind.choices)
    date = forms.DateField(label="日期", widget=DATE_INPUT)
    who = CleanCharField(
        label="谈话人 / 决定机关",
        max_length=100,
        help_text="谈心谈话写谈话人；组织处置写决定机关。",
    )
    notes = CleanCharField(
        label="情况记录",
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="谈话内容、处理决定（如限期改正、劝退、除名）或推荐情况。",
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "请选择")] + [
            (line.member.pk, f"{line.member.name}（{line.grade_label}）") for line in lines
        ]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("日期不能晚于今天。")
        return date


class AppealForm(forms.Form):
    year = forms.IntegerField(label="申诉的年度", min_value=2000, max_value=2100)
    received_on = forms.DateField(label="收到日期", widget=DATE_INPUT)
    content = CleanCharField(
        label="申诉内容",
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="党员对评定等次有异议的理由和诉求（党员权利保障条例第十三条）。",
    )

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("收到日期不能晚于今天。")
        return received_on

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError("年度不能晚于今年。")
        return year


class AppealDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label="处理结果",
        choices=[c for c in Appeal.Status.choices if c[0] != Appeal.Status.OPEN],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理结果。"},
    )
    decision = CleanCharField(
        label="处理意见",
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="更正等次的，写明更正后的等次和理由；支部据此登记更正并重新提交评定。",
    )
