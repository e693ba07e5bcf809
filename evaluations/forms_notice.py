"""Forms of the public notice (公示), its objections (异议) and the archive (step 5).

Plain forms: the views pass the cleaned data to evaluations.services, which holds the rules
(dates within the notice period, an answer before a resolution, …) and raises ValidationError.
"""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from core.forms import CleanCharField
from members.forms import DATE_INPUT

DEFAULT_OBJECTION_CHANNEL = "对公示内容如有异议，请在公示期内向村党支部书记或乡镇党委组织委员反映。"

# What must never be posted publicly: an 18-character ID number or an 11-digit mobile number
# (a landline of the branch office, e.g. 0358-1234567, is fine).
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9Xx])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


class NoticeCreateForm(forms.Form):
    objection_channel = CleanCharField(
        label="异议反映方式",
        multiline=True,
        max_length=300,
        initial=DEFAULT_OBJECTION_CHANNEL,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="将随公示张贴：只写受理人、地点和办公电话，不要写任何党员的个人信息。",
    )

    def clean_objection_channel(self):
        text = self.cleaned_data["objection_channel"].strip()
        if ID_NUMBER.search(text):
            raise forms.ValidationError("公示内容不能出现身份证号。")
        if MOBILE.search(text):
            raise forms.ValidationError(
                "公示内容不宜出现个人手机号，请填写村委会或乡镇的办公电话。"
            )
        return text


class NoticePublishForm(forms.Form):
    start_date = forms.DateField(
        label="公示开始日期",
        widget=DATE_INPUT,
        help_text="今天或最近一周内张贴的日期；截止日期按细则规定的公示天数自动计算。",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"start_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label="收到日期", widget=DATE_INPUT)
    anonymous = forms.BooleanField(label="匿名反映", required=False)
    raised_by = CleanCharField(
        label="反映人",
        max_length=50,
        required=False,
        help_text="匿名反映的不填。",
    )
    content = CleanCharField(
        label="异议内容",
        max_length=2000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionAnswerForm(forms.Form):
    answer = CleanCharField(
        label="答复", max_length=2000, multiline=True, widget=forms.Textarea(attrs={"rows": 3})
    )


class ObjectionResolveForm(forms.Form):
    resolution = CleanCharField(
        label="办结情况",
        max_length=2000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArchiveFilterForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
