"""What the points lead to besides the grade (DOMAIN §7): the spendable balance (兑换积分), the
village shop (爱心超市) that exchanges it for goods, and each township's red fund (红色基金).

The spendable balance is NOT the assessment score: it lives only here, in append-only,
hash-chained ``BalanceEntry`` rows credited from approved periods, and nothing in this app writes
to scoring or evaluations. Balances, stock and fund balances are sums of entries, never a stored
number edited in place. Money is yuan with two decimals, points two decimals, both Decimal.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.models import Chained
from core.transitions import StatusLog, Workflow
from members.models import Branch, Member, Township

POINTS = {"max_digits": 9, "decimal_places": 2}
MONEY = {"max_digits": 12, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 2}
ZERO = Decimal("0.00")


# --- Exchange rules and their limits ------------------------------------------------------------


class ExchangeLimit(models.Model):
    """The township's ceiling on what a branch's exchange rule may credit: a branch rule above
    any of these is refused by the service (rewards.services.rule_set)."""

    township = models.OneToOneField(
        Township, on_delete=models.PROTECT, related_name="exchange_limit", verbose_name="乡镇"
    )
    max_per_bonus_point = models.DecimalField("每 1 贡献加分最多兑换积分", **RATE, default=2)
    max_excellent = models.DecimalField("优秀最多奖励", **POINTS, default=50)
    max_qualified = models.DecimalField("合格最多奖励", **POINTS, default=30)
    max_basic = models.DecimalField("基本合格最多奖励", **POINTS, default=0)
    max_unqualified = models.DecimalField("不合格最多奖励", **POINTS, default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "兑换积分上限（乡镇）"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    max_per_bonus_point__gte=0,
                    max_excellent__gte=0,
                    max_qualified__gte=0,
                    max_basic__gte=0,
                    max_unqualified__gte=0,
                ),
                name="exchangelimit_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.township} 兑换积分上限"


class ExchangeRule(models.Model):
    """A branch's exchange rule from ``valid_from`` on (a new version is a new row, so a period
    is always credited by the rule in force at its end). Without a row, DEFAULTS apply."""

    DEFAULTS = {
        "per_bonus_point": Decimal("1.00"),
        "excellent": Decimal("20.00"),
        "qualified": Decimal("10.00"),
        "basic": ZERO,
        "unqualified": ZERO,
        "lapses": False,
    }

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="exchange_rules", verbose_name="党支部"
    )
    valid_from = models.DateField("生效日期")
    per_bonus_point = models.DecimalField("每 1 贡献加分兑换积分", **RATE, default=1)
    excellent = models.DecimalField("年度优秀奖励", **POINTS, default=20)
    qualified = models.DecimalField("年度合格奖励", **POINTS, default=10)
    basic = models.DecimalField("年度基本合格奖励", **POINTS, default=0)
    unqualified = models.DecimalField("年度不合格奖励", **POINTS, default=0)
    # Unspent balance always carries into the next year; with ``lapses`` what was credited in a
    # year and is still unspent at the end of the following year lapses (a "lapse" entry).
    lapses = models.BooleanField("次年年底未用完的兑换积分作废", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "兑换规则"
        ordering = ["branch", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "valid_from"], name="exchangerule_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(
                    per_bonus_point__gte=0,
                    excellent__gte=0,
                    qualified__gte=0,
                    basic__gte=0,
                    unqualified__gte=0,
                ),
                name="exchangerule_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.branch.name} 兑换规则（{self.valid_from} 起）"

    def grade_bonus(self, grade: str) -> Decimal:
        return getattr(self, grade, ZERO) if grade in self.DEFAULTS else ZERO


# --- The spendable balance ----------------------------------------------------------------------


class MemberAccount(models.Model):
    """One row per member: the row a redemption or a credit locks (SELECT … FOR UPDATE), so two
    counters serving one family take turns. It holds no balance: the balance is the entries'
    sum."""

    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="reward_account", verbose_name="党员"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "兑换积分账户"

    def __str__(self):
        return f"{self.member} 兑换积分账户"


class BalanceEntry(Chained):
    """One change of a member's spendable balance, signed: credits (and their corrections) from
    approved periods, redemptions (−), reversals of a redemption (+), lapses (−)."""

    class Kind(models.TextChoices):
        CREDIT = "credit", "评定入账"
        REDEMPTION = "redemption", "兑换"
        REVERSAL = "reversal", "兑换撤销"
        LAPSE = "lapse", "过期作废"

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="balance_entries", verbose_name="党员"
    )
    # The branch the entry belongs to, for scoping (the member's branch when it was written).
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    points = models.DecimalField("兑换积分", **POINTS)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    period = models.CharField("期间", max_length=2, blank=True)
    assessment = models.ForeignKey(
        "evaluations.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The approval (its status-log row) that credited this entry: one credit per member per
    # approval, enforced by the database (see Meta), so a repeated or concurrent call of the
    # approval hook cannot credit twice.
    approval = models.ForeignKey(
        "evaluations.AssessmentLog",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    HASHED = (
        "member",
        "branch",
        "kind",
        "points",
        "year",
        "period",
        "assessment",
        "approval",
        "redemption",
        "note",
        "created_by",
        "created_at",
    )

    class Meta(Chained.Meta):
        verbose_name = verbose_name_plural = "兑换积分明细"
        ordering = ["created_at", "pk"]
        constraints = [
            *Chained.Meta.constraints,
            models.UniqueConstraint(
                fields=["member", "approval"],
                condition=Q(kind="credit"),
                name="balanceentry_credited_once_per_approval",
            ),
            models.UniqueConstraint(
                fields=["redemption", "kind"],
                condition=Q(redemption__isnull=False),
                name="balanceentry_one_per_redemption_and_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="credit", approval__isnull=False, assessment__isnull=False)
                    & ~Q(points=0)
                    | Q(kind="redemption", redemption__isnull=False, points__lt=0)
                    | Q(kind="reversal", redemption__isnull=False, points__gt=0)
                    | Q(kind="lapse", points__lt=0)
                ),
                name="balanceentry_kind_sign_and_source",
            ),
        ]
        indexes = [models.Index(fields=["member", "year", "period"])]

    def chain_scope(self) -> str:
        # One chain per member: the member's account lock already serialises its writers.
        return str(self.member_id)


# --- The shop -----------------------------------------------------------------------------------


class ShopQuerySet(models.QuerySet):
    def for_server(self, user):
        """Shops ``user`` may serve at the counter: as their shopkeeper, or as the secretary of a
        branch the shop serves (the shopkeeper role lives here, not in members.Official)."""
        if not user.is_authenticated:
            return self.none()
        official = getattr(user, "official", None)
        q = Q(keepers__user=user)
        if official is not None and official.role == "secretary":
            q |= Q(branches=official.branch_id)
        return self.filter(q).distinct()

    def visible_to(self, user):
        """Shops whose goods, stock and statements ``user`` may read: those they serve, their
        township's (township official), their county's (county admin) and their city's (city
        admin, reading only: no counter accepts it)."""
        if not user.is_authenticated:
            return self.none()
        official = getattr(user, "official", None)
        if official is not None and official.is_city:
            return self.filter(township__county__city=official.city_id)
        if official is not None and official.is_county:
            return self.filter(township__county=official.county_id)
        if official is not None and official.is_township:
            return self.filter(township=official.township_id)
        return self.for_server(user)


class Shop(models.Model):
    """A village shop (爱心超市) run by one branch or a few together, in one township."""

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="shops", verbose_name="乡镇"
    )
    name = models.CharField("名称", max_length=60)
    branches = models.ManyToManyField(Branch, related_name="shops", verbose_name="服务的党支部")
    active = models.BooleanField("营业中", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "爱心超市"
        ordering = ["township", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="shop_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="shop_has_name"),
        ]

    def __str__(self):
        return self.name


class Shopkeeper(models.Model):
    """爱心超市管理员: a login that serves one shop's counter (and nothing else)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shopkeeping"
    )
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="keepers")

    class Meta:
        verbose_name = verbose_name_plural = "爱心超市管理员"
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="shopkeeper_once_per_shop")
        ]

    def __str__(self):
        return f"{self.user.get_username()} @ {self.shop}"


class Goods(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="goods")
    name = models.CharField("品名", max_length=60)
    unit = models.CharField("单位", max_length=10)
    price = models.DecimalField("兑换价（兑换积分）", **POINTS)
    active = models.BooleanField("在架", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "商品"
        ordering = ["shop", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name", "unit"], name="goods_unique_name"),
            models.CheckConstraint(condition=Q(price__gte=0), name="goods_price_not_negative"),
            models.CheckConstraint(condition=~Q(name="") & ~Q(unit=""), name="goods_named"),
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）"


class StockMovement(Chained):
    """One change of one item's stock, signed: receipts (+, donated or bought, with the yuan),
    adjustments (±, with the reason: a count, breakage), redemptions (−) and reversals (+)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "入库"
        ADJUSTMENT = "adjustment", "盘点调整"
        REDEMPTION = "redemption", "兑换出库"
        REVERSAL = "reversal", "撤销退回"

    class Source(models.TextChoices):
        DONATED = "donated", "社会捐赠"
        VILLAGE = "village", "村集体收入购买"
        RED_FUND = "red_fund", "红色基金购买"

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="movements")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    quantity = models.IntegerField("数量")
    source = models.CharField("来源", max_length=10, choices=Source.choices, blank=True)
    donor = models.CharField("捐赠人/供货方", max_length=100, blank=True)
    amount_yuan = models.DecimalField("金额（元）", **MONEY, null=True, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    on_date = models.DateField("日期", default=timezone.localdate)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    HASHED = (
        "shop",
        "goods",
        "kind",
        "quantity",
        "source",
        "donor",
        "amount_yuan",
        "reason",
        "redemption",
        "on_date",
        "created_by",
        "created_at",
    )

    class Meta(Chained.Meta):
        verbose_name = verbose_name_plural = "库存变动"
        ordering = ["created_at", "pk"]
        constraints = [
            *Chained.Meta.constraints,
            models.CheckConstraint(
                condition=(
                    Q(kind="receipt", quantity__gt=0) & ~Q(source="")
                    | Q(kind="adjustment") & ~Q(quantity=0) & ~Q(reason="")
                    | Q(kind="redemption", quantity__lt=0, redemption__isnull=False)
                    | Q(kind="reversal", quantity__gt=0, redemption__isnull=False)
                ),
                name="stockmovement_kind_sign_and_source",
            ),
            models.CheckConstraint(
                condition=Q(amount_yuan__isnull=True) | Q(amount_yuan__gte=0),
                name="stockmovement_amount_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["shop", "on_date"])]

    def chain_scope(self) -> str:
        return str(self.shop_id)


class Redemption(models.Model):
    """One exchange at the counter: a member's points for goods, collected by the member or a
    named family member. Undone only by a reversal (status + entries), never edited."""

    class Status(models.TextChoices):
        DONE = "done", "已兑换"
        REVERSED = "reversed", "已撤销"

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="redemptions")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    collected_by = models.CharField("领取人", max_length=30)
    total_points = models.DecimalField("合计兑换积分", **POINTS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    workflow = Workflow(
        log="rewards.RedemptionLog",
        moves={"reverse": ("撤销", ["done"], "reversed", "该兑换已撤销，不能再次撤销。")},
    )

    class Meta:
        verbose_name = verbose_name_plural = "兑换记录"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_points__gte=0), name="redemption_total_not_negative"
            ),
            models.CheckConstraint(condition=~Q(collected_by=""), name="redemption_collector"),
        ]

    def __str__(self):
        return f"兑换 No.{self.pk}"


class RedemptionLine(models.Model):
    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="lines")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField("数量")
    price = models.DecimalField("单价", **POINTS)
    points = models.DecimalField("兑换积分", **POINTS)

    class Meta:
        verbose_name = verbose_name_plural = "兑换明细"
        ordering = ["redemption", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemptionline_qty"),
            models.CheckConstraint(condition=Q(price__gte=0), name="redemptionline_price"),
            models.CheckConstraint(
                condition=Q(points=F("price") * F("quantity")), name="redemptionline_points"
            ),
        ]

    def __str__(self):
        return f"{self.goods_id} × {self.quantity}"


class RedemptionLog(StatusLog):
    SUBJECT = "redemption"
    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "兑换状态记录"

    def chain_scope(self) -> str:
        return str(self.redemption.shop_id)


# --- The township's red fund --------------------------------------------------------------------


class RedFund(models.Model):
    """One row per township: the lock a payment takes so the fund never goes below zero. No
    balance is stored: it is income minus payments paid."""

    township = models.OneToOneField(
        Township, on_delete=models.PROTECT, related_name="red_fund", verbose_name="乡镇"
    )

    class Meta:
        verbose_name = verbose_name_plural = "红色基金"

    def __str__(self):
        return f"{self.township} 红色基金"


class FundIncome(Chained):
    class Source(models.TextChoices):
        COUNTY = "county", "县级拨付"
        DONATION = "donation", "社会捐赠"
        VILLAGE = "village", "村集体筹集"
        OTHER = "other", "其他"

    fund = models.ForeignKey(RedFund, on_delete=models.PROTECT, related_name="incomes")
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    source_name = models.CharField("来源单位/捐赠人", max_length=100)
    amount = models.DecimalField("金额（元）", **MONEY)
    received_on = models.DateField("到账日期")
    doc_no = models.CharField("凭证号", max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    HASHED = (
        "fund",
        "source",
        "source_name",
        "amount",
        "received_on",
        "doc_no",
        "created_by",
        "created_at",
    )

    class Meta(Chained.Meta):
        verbose_name = verbose_name_plural = "红色基金收入"
        ordering = ["received_on", "pk"]
        constraints = [
            *Chained.Meta.constraints,
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundincome_amount_positive"),
        ]

    def chain_scope(self) -> str:
        return str(self.fund_id)


class FundPayment(models.Model):
    """A payment from the fund: proposed by a township official, approved by a second one (never
    the proposer), then paid. Each step goes through core.transitions (who, when, why)."""

    class Purpose(models.TextChoices):
        RELIEF = "relief", "慰问（困难、年老、患病党员）"
        REWARD = "reward", "奖励（优秀党员、立功表现）"
        GOODS = "goods", "爱心超市购货"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        APPROVED = "approved", "已审批，待支付"
        PAID = "paid", "已支付"
        REJECTED = "rejected", "未批准"

    fund = models.ForeignKey(RedFund, on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField("用途", max_length=10, choices=Purpose.choices)
    # Relief and rewards go to a member; a relief recipient is never shown publicly.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payee = models.CharField("收款方（购货时）", max_length=100, blank=True)
    amount = models.DecimalField("金额（元）", **MONEY)
    reason = models.CharField("事由", max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_on = models.DateField("支付日期", null=True, blank=True)
    doc_no = models.CharField("凭证号", max_length=40, blank=True)

    workflow = Workflow(
        log="rewards.FundPaymentLog",
        moves={
            "approve": ("审批", ["proposed"], "approved"),
            "reject": ("不予批准", ["proposed"], "rejected"),
            "pay": ("支付", ["approved"], "paid"),
        },
    )

    class Meta:
        verbose_name = verbose_name_plural = "红色基金支出"
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundpayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(purpose="goods") | Q(member__isnull=False),
                name="fundpayment_member_for_relief_and_reward",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="fundpayment_second_official",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False, approved_by__isnull=False),
                name="fundpayment_paid_was_approved",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} ¥{self.amount}"


class FundPaymentLog(StatusLog):
    SUBJECT = "payment"
    payment = models.ForeignKey(FundPayment, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "红色基金支出状态记录"

    def chain_scope(self) -> str:
        return str(self.payment.fund_id)
