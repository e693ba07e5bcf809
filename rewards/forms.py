"""The rewards forms: what was typed is kept, errors are in Chinese, create forms carry a
one-time key (core.submissions.once)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import CleanCharField, OneTimeKeyMixin
from rewards.models import FundIncome, FundPayment, StockMovement
from rewards.services import MAX_QUANTITY

MONEY_FIELD = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}
POINTS_FIELD = {"max_digits": 9, "decimal_places": 2, "min_value": Decimal("0.00")}


class CardForm(forms.Form):
    card = CleanCharField(
        label="积分卡号",
        max_length=300,  # a pasted card link; rewards.services.find_customer takes its token
        help_text="输入积分卡上的卡号；也可以点「扫码」用手机摄像头扫积分卡上的二维码。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class CollectForm(forms.Form):
    """On the pick page; the one-time key comes only with the confirmation (ConfirmForm)."""

    collected_by = CleanCharField(label="领取人", max_length=30, help_text="党员本人或家属姓名。")


class GoodsForm(OneTimeKeyMixin, forms.Form):
    name = CleanCharField(label="品名", max_length=60)
    unit = CleanCharField(label="单位", max_length=10, help_text="如：袋、瓶、桶、件")
    price = forms.DecimalField(label="兑换价（兑换积分）", **POINTS_FIELD)


class ReceiptForm(OneTimeKeyMixin, forms.Form):
    goods = forms.TypedChoiceField(label="商品", coerce=int)
    quantity = forms.IntegerField(label="数量", min_value=1, max_value=MAX_QUANTITY * 10)
    source = forms.ChoiceField(label="来源", choices=StockMovement.Source.choices)
    amount_yuan = forms.DecimalField(
        label="金额（元）", required=False, max_digits=12, decimal_places=2, min_value=0
    )
    donor = CleanCharField(label="捐赠人/供货方", max_length=100, required=False)
    on_date = forms.DateField(label="入库日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, goods_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = goods_choices


class AdjustForm(OneTimeKeyMixin, forms.Form):
    goods = forms.TypedChoiceField(label="商品", coerce=int)
    quantity = forms.IntegerField(
        label="调整数量", help_text="减少填负数，如 -2", min_value=-100_000, max_value=100_000
    )
    reason = CleanCharField(label="原因", max_length=200)

    def __init__(self, *args, goods_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = goods_choices


class ReverseForm(forms.Form):
    reason = CleanCharField(label="撤销原因", max_length=200)


class IncomeForm(OneTimeKeyMixin, forms.Form):
    source = forms.ChoiceField(label="来源类别", choices=FundIncome.Source.choices)
    source_name = CleanCharField(label="来源单位/捐赠人", max_length=100)
    amount = forms.DecimalField(label="金额（元）", **MONEY_FIELD)
    received_on = forms.DateField(label="到账日期", widget=forms.DateInput(attrs={"type": "date"}))
    doc_no = CleanCharField(label="凭证号", max_length=40, required=False)


class ProposeForm(OneTimeKeyMixin, forms.Form):
    purpose = forms.ChoiceField(label="用途", choices=FundPayment.Purpose.choices)
    member = forms.TypedChoiceField(label="党员", coerce=int, required=False, empty_value=None)
    payee = CleanCharField(label="收款方（购货时）", max_length=100, required=False)
    amount = forms.DecimalField(label="金额（元）", **MONEY_FIELD)
    reason = CleanCharField(label="事由", max_length=300)

    def __init__(self, *args, member_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—（购货时不选）"), *member_choices]


class DecideForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("approve", "审批同意"), ("reject", "不予批准"), ("pay", "已支付")]
    )
    comment = CleanCharField(label="意见", max_length=300, required=False)
    paid_on = forms.DateField(label="支付日期", required=False)
    doc_no = CleanCharField(label="凭证号", max_length=40, required=False)


class RuleForm(OneTimeKeyMixin, forms.Form):
    valid_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}))
    per_bonus_point = forms.DecimalField(
        label="每 1 贡献加分兑换积分", max_digits=5, decimal_places=2, min_value=0
    )
    excellent = forms.DecimalField(label="年度优秀奖励", **POINTS_FIELD)
    qualified = forms.DecimalField(label="年度合格奖励", **POINTS_FIELD)
    basic = forms.DecimalField(label="年度基本合格奖励", **POINTS_FIELD)
    unqualified = forms.DecimalField(label="年度不合格奖励", **POINTS_FIELD)
    lapses = forms.BooleanField(label="次年年底未用完的兑换积分作废", required=False)


class LimitForm(forms.Form):
    """The township's ceilings (rewards.models.ExchangeLimit); saving again is harmless, so no
    one-time key."""

    max_per_bonus_point = forms.DecimalField(
        label="每 1 贡献加分最多兑换积分", max_digits=5, decimal_places=2, min_value=0
    )
    max_excellent = forms.DecimalField(label="年度优秀最多奖励", **POINTS_FIELD)
    max_qualified = forms.DecimalField(label="年度合格最多奖励", **POINTS_FIELD)
    max_basic = forms.DecimalField(label="年度基本合格最多奖励", **POINTS_FIELD)
    max_unqualified = forms.DecimalField(label="年度不合格最多奖励", **POINTS_FIELD)
