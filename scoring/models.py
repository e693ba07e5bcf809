"""Rule sets (细则), declarations (申报), the branch's month (支委会审议) and the points ledger.

The ledger (`PointsEntry`) is append-only: rows are inserted, never updated or deleted. A fix is
a new CORRECTION row with a reason and an author. Status changes of declarations and months are
rows too (`DeclarationLog`, `BranchMonthLog`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.models import AppendOnlyQuerySet, Chained
from core.transitions import StatusLog, Workflow
from members.models import Branch, Category, County, Member, ScopedQuerySet
from scoring import engine

POINTS = {"max_digits": 7, "decimal_places": 2}
POINT_LIMIT = 100  # the most one entry, item or declaration may be worth, either way


class RuleSet(models.Model):
    """One version of one county's rules for one year. Published versions are never edited.

    A rule set without a county is a template (issued by a city or province): it scores nothing
    itself; a county copies it into a draft of its own, adapts it and publishes that. Which
    version scores what is decided in scoring.versions only.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rule_sets",
        verbose_name="县（市、区）",
        help_text="留空为模板（市、省下发），各县复制后修改、发布。",
    )
    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveSmallIntegerField("版本", default=1)
    title = models.CharField("名称", max_length=100, default="岚县农村党员积分管理评定细则")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    appraisal_max = models.DecimalField(
        "民主评议满分", max_digits=4, decimal_places=1, default=Decimal("20")
    )
    weight_excellent = models.DecimalField(
        "优秀票权重", max_digits=3, decimal_places=2, default=Decimal("1.00")
    )
    weight_qualified = models.DecimalField(
        "合格票权重", max_digits=3, decimal_places=2, default=Decimal("0.80")
    )
    weight_basic = models.DecimalField(
        "基本合格票权重", max_digits=3, decimal_places=2, default=Decimal("0.60")
    )
    weight_unqualified = models.DecimalField(
        "不合格票权重", max_digits=3, decimal_places=2, default=Decimal("0.00")
    )
    excellent_quota_numerator = models.PositiveSmallIntegerField("优秀比例（分子）", default=1)
    excellent_quota_denominator = models.PositiveSmallIntegerField("优秀比例（分母）", default=3)
    notice_days = models.PositiveSmallIntegerField("公示天数", default=5)
    notes = models.CharField("说明", max_length=2000, blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, verbose_name="基于版本"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "积分细则"
        ordering = ["-year", "-version"]
        constraints = [
            # Versions are numbered per county and year; templates have their own numbering.
            models.UniqueConstraint(
                fields=["county", "year", "version"],
                condition=Q(county__isnull=False),
                name="ruleset_unique_version",
            ),
            models.UniqueConstraint(
                fields=["year", "version"],
                condition=Q(county__isnull=True),
                name="ruleset_template_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(excellent_quota_denominator__gt=0)
                & Q(excellent_quota_numerator__lte=F("excellent_quota_denominator")),
                name="ruleset_quota_is_a_share",
            ),
            models.CheckConstraint(
                condition=Q(appraisal_max__gte=0), name="ruleset_appraisal_max_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(appraisal_max__lte=100), name="ruleset_appraisal_max_bounded"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="ruleset_published_has_date",
            ),
        ]

    workflow = Workflow(
        log="scoring.RuleSetLog",
        moves={
            "publish": ("发布", [Status.DRAFT], Status.PUBLISHED, "该版本已经发布，不能重复发布。")
        },
    )

    def __str__(self):
        owner = "模板" if self.county_id is None else ""
        return f"{owner}{self.year}年 第{self.version}版（{self.get_status_display()}）"

    @property
    def is_template(self) -> bool:
        return self.county_id is None

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def scoring_rules(self) -> engine.ScoringRules:
        """This version as the plain data `scoring.engine` computes with."""
        categories = {c.category: c for c in self.category_rules.all()}
        from fractions import Fraction

        return engine.ScoringRules(
            base_scores={k: c.base_score for k, c in categories.items()},
            cutoffs={
                k: (c.excellent_min, c.qualified_min, c.basic_min) for k, c in categories.items()
            },
            appraisal_max=self.appraisal_max,
            ballot_weights=(
                self.weight_excellent,
                self.weight_qualified,
                self.weight_basic,
                self.weight_unqualified,
            ),
            excellent_share=Fraction(
                self.excellent_quota_numerator, self.excellent_quota_denominator
            ),
        )


class RuleSetLog(StatusLog):
    """Publishing a rule set (and creating it): who, when, why."""

    SUBJECT = "rule_set"
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "细则状态记录"

    def chain_scope(self) -> str:
        # One chain for all rule sets, templates included: changing it would rewrite the chain
        # of the rows logged while rule sets were database-wide.
        return "all"


class CategoryRule(models.Model):
    """Base score and grade cut-offs of one category in one rule set."""

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="category_rules", verbose_name="细则"
    )
    category = models.CharField("类别", max_length=1, choices=Category.choices)
    base_score = models.DecimalField("全年基础积分", **POINTS)
    excellent_min = models.DecimalField("优秀（不低于）", **POINTS)
    qualified_min = models.DecimalField("合格（不低于）", **POINTS)
    basic_min = models.DecimalField("基本合格（不低于）", **POINTS)

    class Meta:
        verbose_name = verbose_name_plural = "类别基础分与等次线"
        ordering = ["rule_set", "category"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "category"], name="categoryrule_unique"),
            models.CheckConstraint(
                condition=Q(excellent_min__gte=F("qualified_min"))
                & Q(qualified_min__gte=F("basic_min"))
                & Q(base_score__gt=0),
                name="categoryrule_cutoffs_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.category}类 {self.base_score}"


class RuleItem(models.Model):
    """A contribution (G), deduction (K) or clearing (Q) item.

    County items have no branch: the rule set's own catalogue, whose codes are unique within the
    rule set — and so within its county and version, since a rule set belongs to one county (or is
    a template). A branch's own contribution item has `branch` set (a branch of the rule set's
    county: scoring.services.branch_item_add) and a `parent` county item whose point range
    contains its own.
    """

    class Kind(models.TextChoices):
        BONUS = engine.BONUS, "贡献加分"
        DEDUCTION = engine.DEDUCTION, "违规扣分"
        CLEARING = engine.CLEARING, "清除全年积分"

    class DeductionClass(models.TextChoices):
        NONE = "", "—"
        ORGANISATIONAL_LIFE = "life", "组织生活类"
        DISCIPLINE = "discipline", "组织纪律类"
        PARTY_RULES = "rules", "党规党纪类"

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="items", verbose_name="细则"
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_items",
        verbose_name="支部自定项目",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, verbose_name="对应县级项目"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    code = models.CharField("编号", max_length=8)
    name = models.CharField("项目", max_length=200)
    deduction_class = models.CharField(
        "扣分类别", max_length=12, choices=DeductionClass.choices, blank=True, default=""
    )
    points_min = models.DecimalField("分值（下限）", **POINTS, default=Decimal("0"))
    points_max = models.DecimalField("分值（上限）", **POINTS, default=Decimal("0"))
    unit = models.CharField("计分方式", max_length=40, blank=True, help_text="如：每次、每季度")
    not_for_categories = models.CharField(
        "不适用的类别", max_length=4, blank=True, help_text="如 D：该项不适用于 D 类党员"
    )
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "积分项目"
        ordering = ["rule_set", "kind", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "code"],
                condition=Q(branch__isnull=True),
                name="ruleitem_county_code_unique",
            ),
            models.UniqueConstraint(
                fields=["rule_set", "branch", "code"],
                condition=Q(branch__isnull=False),
                name="ruleitem_branch_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(points_min__lte=F("points_max")), name="ruleitem_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(points_min__gte=-POINT_LIMIT, points_max__lte=POINT_LIMIT),
                name="ruleitem_points_bounded",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="bonus", points_min__gt=0)
                    | Q(kind="deduction", points_max__lt=0)
                    | Q(kind="clearing", points_min=0, points_max=0)
                ),
                name="ruleitem_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(branch__isnull=True) | Q(kind="bonus", parent__isnull=False),
                name="ruleitem_branch_items_are_bonus_with_parent",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_range(self) -> bool:
        return self.points_min != self.points_max

    @property
    def points_label(self) -> str:
        def fmt(value: Decimal) -> str:
            return f"{value.normalize():f}"

        if self.kind == self.Kind.CLEARING:
            return "全年积分清零"
        if self.is_range:
            return f"{fmt(self.points_min)}～{fmt(self.points_max)}"
        return fmt(self.points_min)

    def applies_to(self, category: str | None) -> bool:
        return not category or category not in self.not_for_categories


class BranchAdoption(models.Model):
    """A branch's adoption of a rule set at its members' meeting (step 1)."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="adoptions", verbose_name="党支部"
    )
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="adoptions", verbose_name="细则"
    )
    adopted_on = models.DateField("党员大会通过日期")
    disabled_items = models.ManyToManyField(
        RuleItem, blank=True, related_name="+", verbose_name="本支部不适用的项目"
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "支部采用细则记录"
        constraints = [
            models.UniqueConstraint(fields=["branch", "rule_set"], name="adoption_unique"),
        ]

    def __str__(self):
        return f"{self.branch} 采用 {self.rule_set}"


class BranchMonthQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"


class BranchMonth(models.Model):
    """The branch committee's month: open for entries until closed at the committee meeting."""

    class Status(models.TextChoices):
        OPEN = "open", "申报审议中"
        CLOSED = "closed", "已结账"

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="months", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name="适用细则版本"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    meeting_date = models.DateField("支委会日期", null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = BranchMonthQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "支部月度审议"
        ordering = ["branch", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year", "month"], name="branchmonth_unique"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="branchmonth_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(meeting_date__isnull=False, closed_at__isnull=False),
                name="branchmonth_closed_has_meeting",
            ),
        ]

    workflow = Workflow(
        log="scoring.BranchMonthLog",
        moves={
            "close": ("结账", [Status.OPEN], Status.CLOSED, "该月已经结账（可能刚被他人操作）。")
        },
    )

    def __str__(self):
        return f"{self.branch.name} {self.year}年{self.month}月"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class BranchMonthLog(StatusLog):
    SUBJECT = "branch_month"
    branch_month = models.ForeignKey(BranchMonth, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "月度审议状态记录"

    def chain_scope(self) -> str:
        return str(self.branch_month.branch_id)


ALREADY_REVIEWED = "该申报已被他人处理（当前状态：{current}），请刷新页面。"


class DeclarationQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"


class Declaration(models.Model):
    """An entry waiting for the branch committee's review: a member's declaration of a
    contribution (党员申报) — typed by the secretary, by the member, or imported — or a proposed
    deduction (a meeting's unexcused absence, a post holder who did not keep the pledge). The
    committee approves it (the ledger entry is written then: a bonus, or for a deduction item a
    deduction), returns it, or it is withdrawn while it waits."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审议"
        APPROVED = "approved", "已通过"
        RETURNED = "returned", "已退回"
        WITHDRAWN = "withdrawn", "已撤回"

    class Source(models.TextChoices):
        CLERK = "clerk", "代为录入"
        SELF = "self", "本人申报"
        ACTIVITY = "activity", "活动批量录入"
        ATTENDANCE = "attendance", "会议考勤"
        POST = "post", "设岗定责评定"
        IMPORT = "import", "Excel导入"

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="declarations", verbose_name="党员"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="declarations", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    item = models.ForeignKey(
        RuleItem, on_delete=models.PROTECT, related_name="declarations", verbose_name="项目"
    )
    occurred_on = models.DateField("日期")
    description = models.CharField("做了什么", max_length=300)
    # The size of the entry, positive; a deduction item's entry is written negative.
    points_claimed = models.DecimalField("申报分值", **POINTS)
    points_approved = models.DecimalField("认定分值", **POINTS, null=True, blank=True)
    photo = models.FileField("照片", upload_to="declarations/%Y/%m/", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    review_reason = models.CharField("审议意见", max_length=300, blank=True)
    source = models.CharField("来源", max_length=12, choices=Source.choices, default=Source.CLERK)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党员申报"
        ordering = ["year", "month", "member__name_sort", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="declaration_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(points_claimed__gt=0, points_claimed__lte=POINT_LIMIT),
                name="declaration_points_positive",
            ),
            models.CheckConstraint(
                condition=Q(points_approved__isnull=True) | Q(points_approved__lte=POINT_LIMIT),
                name="declaration_approved_points_bounded",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(points_approved__gt=0),
                name="declaration_approved_has_points",
            ),
        ]
        indexes = [models.Index(fields=["branch", "year", "month", "status"])]

    workflow = Workflow(
        log="scoring.DeclarationLog",
        moves={
            "approve": ("审议通过", [Status.SUBMITTED], Status.APPROVED, ALREADY_REVIEWED),
            "return": ("退回", [Status.SUBMITTED], Status.RETURNED, ALREADY_REVIEWED),
            "withdraw": ("撤回", [Status.SUBMITTED], Status.WITHDRAWN, ALREADY_REVIEWED),
            # Corrected while it waits: the status stays, the log keeps what was changed.
            "edit": ("修改", [Status.SUBMITTED], Status.SUBMITTED, ALREADY_REVIEWED),
        },
    )

    def __str__(self):
        return f"{self.member} {self.item.code} {self.occurred_on}"

    @property
    def is_deduction(self) -> bool:
        return self.item.kind == RuleItem.Kind.DEDUCTION

    @property
    def signed_points(self) -> Decimal:
        """What the entry adds to the member's points once approved."""
        points = self.points_approved or self.points_claimed
        return -points if self.is_deduction else points


class DeclarationLog(StatusLog):
    SUBJECT = "declaration"
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="logs")
    points = models.DecimalField(**POINTS, null=True, blank=True)

    EXTRA_HASHED = ("points",)

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "申报状态记录"

    def chain_scope(self) -> str:
        return str(self.declaration.branch_id)


class LedgerQuerySet(AppendOnlyQuerySet, ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"

    def bulk_create(self, objs, batch_size=None, **kwargs):
        objs = super().bulk_create(objs, batch_size=batch_size, **kwargs)
        _standings().entries_added(objs)
        return objs


def _standings():
    # Every ledger insert rewrites the member's stored standing in the same transaction; the
    # standings module reads this one, hence the late import.
    from scoring import standings

    return standings


class PointsEntry(Chained):
    """One line of the points ledger. Inserted once; never updated, never deleted; chained with a
    keyed hash to the branch's previous line (core.chain)."""

    immutable_message = "积分台账只能追加，不能修改、不能删除；请登记更正记录。"
    HASHED = (
        "member",
        "branch",
        "year",
        "month",
        "kind",
        "points",
        "item",
        "rule_set",
        "declaration",
        "occurred_on",
        "reason",
        "created_by",
        "created_at",
    )

    class Kind(models.TextChoices):
        BONUS = engine.BONUS, "贡献加分"
        DEDUCTION = engine.DEDUCTION, "违规扣分"
        CLEARING = engine.CLEARING, "积分清零"
        CORRECTION = engine.CORRECTION, "更正"

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="points_entries", verbose_name="党员"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="points_entries", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("计入月份")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    points = models.DecimalField("分值", **POINTS)
    item = models.ForeignKey(
        RuleItem, on_delete=models.PROTECT, null=True, blank=True, verbose_name="项目"
    )
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name="细则版本"
    )
    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, null=True, blank=True, related_name="entry"
    )
    occurred_on = models.DateField("发生日期", null=True, blank=True)
    reason = models.CharField("事由", max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta(Chained.Meta):
        verbose_name = verbose_name_plural = "积分台账"
        ordering = ["year", "month", "created_at", "pk"]
        constraints = [
            *Chained.Meta.constraints,
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="entry_month_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="bonus", points__gt=0)
                    | Q(kind="deduction", points__lt=0)
                    | Q(kind="clearing", points=0)
                    | (Q(kind="correction") & ~Q(points=0))
                ),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="correction") | Q(item__isnull=False),
                name="entry_item_unless_correction",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="entry_has_reason"),
            # No single entry moves more than this: no item is worth more, and a correction
            # beyond it is a typing error (a larger fix is several corrections, each explained).
            models.CheckConstraint(
                condition=Q(points__gte=-POINT_LIMIT, points__lte=POINT_LIMIT),
                name="entry_points_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "year", "month"]),
            models.Index(fields=["member", "year"]),
        ]

    def __str__(self):
        return f"{self.member} {self.year}-{self.month:02d} {self.get_kind_display()} {self.points}"

    def chain_scope(self) -> str:
        return str(self.branch_id)

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            _standings().entries_added([self])

    def as_rule_entry(self) -> engine.Entry:
        return engine.Entry(month=self.month, kind=self.kind, points=self.points)


class MeetingQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"


class Meeting(models.Model):
    """A meeting of the branch (党员大会, 主题党日, 党课, 组织生活会 …) with its attendance: who
    was there, who was excused (and why), who was absent without leave. An unexcused absence
    proposes the matching deduction for the committee's review (see services.meeting_record)."""

    class Kind(models.TextChoices):
        GENERAL = "general", "党员大会"
        GROUP = "group", "党小组会"
        LESSON = "lesson", "党课"
        THEME_DAY = "theme_day", "主题党日"
        LIFE = "life", "组织生活会"
        STUDY = "study", "学习教育"

    # The deduction an unexcused absence proposes (the county's item codes, DOMAIN §3.4).
    DEDUCTION_CODE = {
        Kind.GENERAL: "K01",
        Kind.GROUP: "K01",
        Kind.LESSON: "K01",
        Kind.THEME_DAY: "K02",
        Kind.LIFE: "K03",
        Kind.STUDY: "K05",
    }

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="meetings", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    kind = models.CharField("会议", max_length=12, choices=Kind.choices)
    held_on = models.DateField("日期")
    topic = models.CharField("内容", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "会议考勤"
        ordering = ["year", "month", "held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="meeting_month_valid"
            ),
        ]

    def __str__(self):
        return f"{self.branch.name} {self.held_on:%Y-%m-%d} {self.get_kind_display()}"

    def counts(self) -> dict[str, int]:
        """How many were present, excused, absent, and how many deductions were proposed."""
        rows = list(self.attendance.values_list("status", "proposal_id"))
        counts = {status: 0 for status in Attendance.Status.values}
        for status, _ in rows:
            counts[status] += 1
        counts["proposed"] = sum(1 for _, proposal in rows if proposal)
        return counts


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "出席"
        EXCUSED = "excused", "请假"
        ABSENT = "absent", "缺席"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("出勤", max_length=10, choices=Status.choices)
    reason = models.CharField("请假事由", max_length=200, blank=True)
    # The deduction proposed for an unexcused absence (none where the item does not apply).
    proposal = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, null=True, blank=True, related_name="attendance"
    )

    class Meta:
        verbose_name = verbose_name_plural = "出勤记录"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
            models.CheckConstraint(
                condition=~Q(status="excused") | ~Q(reason=""), name="attendance_excused_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.meeting} {self.member} {self.get_status_display()}"


class MonthStanding(models.Model):
    """A member's year through one month, as the engine computes it from the ledger and the roll
    (scoring.standings keeps these rows): the stored standings the dashboards, rankings and
    honour rolls add up in SQL instead of folding every member's ledger on each request.

    Derived data, not history: the rows are rewritten (never edited by hand) in the transaction
    of every ledger entry, roll or category change and rule-set publication, and
    ``manage.py rebuild_standings`` recomputes them from the ledger and says whether they agreed.
    Amounts are integer *units* of 1/1200 point (scoring.engine.UNITS_PER_POINT): a monthly base
    share base/12 is exact there, which no two-decimal column could hold.
    """

    # Derived rows go with what they are derived from (members and branches are never deleted in
    # the app; the PROTECT of their history and ledger keeps it so).
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    # The branch whose roll holds the member this month and the category held (null: not on a roll).
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, null=True, related_name="+")
    category = models.CharField(max_length=1, choices=Category.choices, blank=True)
    # Months 1..month added up ("so far"), in units.
    base = models.BigIntegerField(default=0)
    bonus = models.BigIntegerField(default=0)
    deductions = models.BigIntegerField(default=0)
    corrections = models.BigIntegerField(default=0)
    running = models.BigIntegerField(default=0)  # 本年累计: the four above added up
    cleared = models.BooleanField(default=False)  # a clearing item so far
    # What the projection (预计年度积分) adds: the base shares of the months after this one.
    base_rest = models.BigIntegerField(default=0)
    # The category the year is graded in: held in the last month on a roll this year.
    grade_category = models.CharField(max_length=1, choices=Category.choices, blank=True)
    bonus_count = models.PositiveIntegerField(default=0)
    deduction_count = models.PositiveIntegerField(default=0)
    clearing_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "积分汇总（按月）"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "month"], name="standing_one_per_member_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="standing_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(running=F("base") + F("bonus") + F("deductions") + F("corrections")),
                name="standing_running_is_the_sum",
            ),
        ]
        indexes = [models.Index(fields=["year", "month", "branch"])]

    def __str__(self):
        return f"{self.member_id} {self.year}-{self.month:02d} {self.running}"
