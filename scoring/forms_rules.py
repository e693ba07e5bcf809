"""Forms of step 1 at the branch: adopting the year's rules and adding the branch's own items.

The forms check what a form can (a date, a choice from the offered items); the rules about ranges
and kinds live in `scoring.services`, whose errors the views show next to the field they name.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from core.forms import CleanCharField, OneTimeKeyMixin
from scoring.forms import MAX_ITEM_POINTS, POINTS_ERRORS
from scoring.models import RuleItem


def item_label(item: RuleItem) -> str:
    unit = f"，{item.unit}" if item.unit else ""
    return f"{item.code} {item.name}（{item.points_label}分{unit}）"


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return item_label(obj)


class ItemsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return item_label(obj)


class BranchAdoptForm(forms.Form):
    """The branch's members' meeting adopts the year's rules, switching off items that do not fit.

    Clearing items (一次性清除全年积分) apply county-wide and are not offered.
    """

    adopted_on = forms.DateField(
        label="党员大会通过日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    disabled_bonus = ItemsField(
        label="本支部不适用的贡献加分项目",
        queryset=RuleItem.objects.none(),
        required=False,
    )
    disabled_deduction = ItemsField(
        label="本支部不适用的违规扣分项目",
        queryset=RuleItem.objects.none(),
        required=False,
    )

    def __init__(self, *args, rule_set, **kwargs):
        super().__init__(*args, **kwargs)
        county_items = rule_set.items.filter(branch__isnull=True).order_by("position", "code")
        self.fields["disabled_bonus"].queryset = county_items.filter(kind=RuleItem.Kind.BONUS)
        self.fields["disabled_deduction"].queryset = county_items.filter(
            kind=RuleItem.Kind.DEDUCTION
        )

    def clean_adopted_on(self):
        adopted_on = self.cleaned_data["adopted_on"]
        if adopted_on > timezone.localdate():
            raise forms.ValidationError("党员大会通过日期不能晚于今天。")
        return adopted_on

    @property
    def disabled_items(self) -> list[RuleItem]:
        return [*self.cleaned_data["disabled_bonus"], *self.cleaned_data["disabled_deduction"]]


class BranchItemForm(OneTimeKeyMixin, forms.Form):
    """A branch's own contribution item under a county contribution item, within its range."""

    parent = ItemChoiceField(
        label="对应县级项目",
        queryset=RuleItem.objects.none(),
        empty_label="请选择",
        help_text="本支部项目的分值须在所选县级项目的分值范围内。",
    )
    name = CleanCharField(label="项目名称", max_length=200)
    points_min = forms.DecimalField(
        label="分值（下限）",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_ITEM_POINTS,
        error_messages=POINTS_ERRORS,
    )
    points_max = forms.DecimalField(
        label="分值（上限）",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_ITEM_POINTS,
        error_messages=POINTS_ERRORS,
        help_text="固定分值的项目，上下限填同一个数。",
    )
    unit = CleanCharField(
        label="计分方式", max_length=40, required=False, help_text="如：每次、每季度"
    )

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_unit(self):
        return self.cleaned_data["unit"].strip()
