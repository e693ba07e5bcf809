"""Forms of the posts app: they keep what was typed and say what is wrong in Chinese."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone

from core.forms import CleanCharField, OneTimeKeyMixin
from core.images import reencode_photo
from posts.models import PostRating, PostTemplate

COUNT_ERRORS = {
    "invalid": "请填写整数。",
    "min_value": "不能小于 0。",
    "max_value": "数字过大，请核对。",
}


class PostForm(OneTimeKeyMixin, forms.Form):
    name = CleanCharField(label="岗位名称", max_length=40)
    duties = CleanCharField(label="岗位职责", max_length=300, required=False, multiline=True)
    holders = forms.IntegerField(
        label="设岗人数",
        min_value=1,
        max_value=50,
        initial=1,
        error_messages={**COUNT_ERRORS, "min_value": "至少 1 人。"},
    )


class PostEditForm(PostForm):
    active = forms.BooleanField(label="启用", required=False, initial=True)


class CopyTemplatesForm(forms.Form):
    templates = forms.ModelMultipleChoiceField(
        label="从全县岗位参考清单中选用",
        queryset=PostTemplate.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个岗位。"},
    )


class HoldingForm(OneTimeKeyMixin, forms.Form):
    member = forms.ModelChoiceField(
        label="党员", queryset=None, error_messages={"required": "请选择党员。"}
    )
    post = forms.ModelChoiceField(
        label="岗位", queryset=None, error_messages={"required": "请选择岗位。"}
    )
    how = forms.ChoiceField(
        label="方式",
        choices=[("claim", "本人认领"), ("assign", "组织安排")],
        initial="claim",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, members, posts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["post"].queryset = posts


class EndForm(forms.Form):
    reason = CleanCharField(label="离岗原因", max_length=200)


class PledgeForm(forms.Form):
    text = CleanCharField(
        label="承诺内容",
        max_length=500,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="本年度在岗位上承诺做到的事，写实、写具体。",
    )


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label="评定",
        choices=PostRating.Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评定结果。"},
    )
    deeds = forms.IntegerField(
        label="为群众办实事（件）",
        min_value=0,
        max_value=999,
        initial=0,
        error_messages=COUNT_ERRORS,
    )
    disputes = forms.IntegerField(
        label="调处矛盾（起）", min_value=0, max_value=999, initial=0, error_messages=COUNT_ERRORS
    )
    audience = forms.IntegerField(
        label="宣讲（人次）", min_value=0, max_value=100000, initial=0, error_messages=COUNT_ERRORS
    )
    note = CleanCharField(label="履职情况", max_length=300, required=False)


class PinForm(forms.Form):
    pin = forms.RegexField(
        label="申报密码（6位数字）",
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": "请输入书记发给您的 6 位数字密码。", "required": "请输入密码。"},
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class PhotoField(forms.FileField):
    """An optional photo: size checked first, then decoded and encoded again (core.images)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "照片（可选）")
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "JPEG 或 PNG，不超过 5 MB；手机上会先自动缩小。")
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "data-shrink": "1"}),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        photo = super().clean(data, initial)
        if not photo:
            return None
        if photo.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("照片不能超过 5 MB，请压缩后再上传。")
        return reencode_photo(photo)


class SelfDeclarationForm(forms.Form):
    item = forms.ModelChoiceField(
        label="做了哪一项", queryset=None, error_messages={"required": "请选择项目。"}
    )
    occurred_on = forms.DateField(
        label="日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写日期。", "invalid": "日期格式不对。"},
    )
    description = CleanCharField(label="做了什么", max_length=300, multiline=True)
    photo = PhotoField()

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        # Plain words for the member: the item's name and points, not its code.
        self.fields["item"].label_from_instance = lambda i: f"{i.name}（{i.points_label}分）"
        self.fields["occurred_on"].initial = timezone.localdate()


class ReportForm(forms.Form):
    place = CleanCharField(label="现在在哪里", max_length=60)
    doing = CleanCharField(label="在做什么", max_length=300)
    photo = PhotoField()
