"""Quarterly and annual assessment (党员评定), township approval, the public notice (公示),
objections, appeals, follow-up of grades, and the archive (存档) — steps 4 and 5.

An `Assessment` is one branch's quarter (Q1–Q4) or year (Y). Its `AssessmentLine`s are the
members' figures as the members' meeting confirmed them (recomputed from the ledger at each
confirmation). A `Notice` publishes an approved assessment; its `rows` are frozen when it is
approved, and the `ArchivedNotice` is an immutable copy with a content hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import AppendOnlyQuerySet, Chained
from core.transitions import StatusLog, Workflow
from members.models import Branch, Category, Member, ScopedQuerySet
from scoring import engine
from scoring.models import POINTS, RuleSet
from scoring.periods import Period, period_months, title

GRADE_CHOICES = [(g, engine.GRADE_LABELS[g]) for g in engine.GRADES]


class BranchScopedQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"


class Assessment(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "待党员大会评定"
        CONFIRMED = "confirmed", "已评定，待乡镇审核"
        RETURNED = "returned", "乡镇退回修改"
        APPROVED = "approved", "乡镇已审核通过"

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="assessments", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("期间", max_length=2, choices=Period.choices)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    meeting_date = models.DateField("党员大会日期", null=True, blank=True)
    members_expected = models.PositiveIntegerField("应到党员", null=True, blank=True)
    members_present = models.PositiveIntegerField("实到党员", null=True, blank=True)
    township_comment = models.CharField("乡镇审核意见", max_length=500, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "评定"
        ordering = ["branch", "year", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "year", "period"], name="assessment_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(members_present__isnull=True)
                | Q(members_present__lte=models.F("members_expected")),
                name="assessment_present_not_more_than_expected",
            ),
            models.CheckConstraint(
                condition=Q(members_expected__isnull=True)
                | Q(members_expected__gte=1, members_expected__lte=10_000),
                name="assessment_expected_bounded",
            ),
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(meeting_date__isnull=False, members_present__isnull=False),
                name="assessment_confirmed_has_meeting",
            ),
        ]

    workflow = Workflow(
        log="evaluations.AssessmentLog",
        moves={
            "confirm": ("由党员大会确认", [Status.OPEN, Status.RETURNED], Status.CONFIRMED),
            "approve": ("审核通过", [Status.CONFIRMED], Status.APPROVED),
            "return": ("退回修改", [Status.CONFIRMED], Status.RETURNED),
        },
    )

    def __str__(self):
        return f"{self.branch.name} {self.title_period}"

    @property
    def is_annual(self) -> bool:
        return self.period == Period.YEAR

    @property
    def quarter(self) -> int | None:
        return None if self.is_annual else int(self.period[1])

    @property
    def title_period(self) -> str:
        return title(self.year, self.period)

    @property
    def months(self) -> tuple[int, ...]:
        return period_months(self.period)


class AssessmentLog(StatusLog):
    SUBJECT = "assessment"
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "评定状态记录"

    def chain_scope(self) -> str:
        return str(self.assessment.branch_id)


class AssessmentLine(models.Model):
    """One member's figures for the period, as computed when the meeting confirmed them."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="lines")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    category = models.CharField("类别", max_length=1, choices=Category.choices)
    base = models.DecimalField("基础积分", **POINTS)
    bonus = models.DecimalField("贡献加分", **POINTS)
    deductions = models.DecimalField("违规扣分", **POINTS)
    corrections = models.DecimalField("更正", **POINTS)
    period_total = models.DecimalField("本期积分", **POINTS)
    cumulative = models.DecimalField("累计积分", **POINTS)
    appraisal = models.DecimalField("民主评议积分", **POINTS, null=True, blank=True)
    annual_total = models.DecimalField("年度总积分", **POINTS, null=True, blank=True)
    grade = models.CharField("等次", max_length=12, choices=GRADE_CHOICES, blank=True)
    cleared = models.BooleanField("积分清零", default=False)
    rank = models.PositiveIntegerField("排名", null=True, blank=True)
    held_back = models.BooleanField("暂缓确认", default=False)
    held_back_reason = models.CharField("暂缓原因", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "评定明细"
        ordering = ["assessment", "rank", "member__name_sort"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "member"], name="line_one_per_member"),
            models.CheckConstraint(
                condition=Q(held_back=False) | ~Q(held_back_reason=""),
                name="line_held_back_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.assessment} {self.member}"

    @property
    def grade_label(self) -> str:
        return engine.GRADE_LABELS.get(self.grade, "")


class Appraisal(models.Model):
    """The democratic appraisal (民主评议) of one member for one year."""

    class Source(models.TextChoices):
        BRANCH = "branch", "本支部评议"
        RESIDENCE = "residence", "现居住地党组织评议"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appraisals")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    score = models.DecimalField("民主评议积分", max_digits=4, decimal_places=1)
    ballots_excellent = models.PositiveIntegerField("优秀票", null=True, blank=True)
    ballots_qualified = models.PositiveIntegerField("合格票", null=True, blank=True)
    ballots_basic = models.PositiveIntegerField("基本合格票", null=True, blank=True)
    ballots_unqualified = models.PositiveIntegerField("不合格票", null=True, blank=True)
    source = models.CharField("评议来源", max_length=10, choices=Source.choices, default="branch")
    source_organisation = models.CharField("评议党组织", max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "民主评议"
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="appraisal_one_per_year"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="appraisal_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(ballots_excellent__isnull=True)
                    | Q(
                        ballots_excellent__lte=1000,
                        ballots_qualified__lte=1000,
                        ballots_basic__lte=1000,
                        ballots_unqualified__lte=1000,
                    )
                ),
                name="appraisal_ballots_bounded",
            ),
            models.CheckConstraint(
                condition=Q(source="branch") | ~Q(source_organisation=""),
                name="appraisal_residence_names_organisation",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.year} {self.score}"

    @property
    def ballots(self) -> tuple | None:
        if self.ballots_excellent is None:
            return None
        return (
            self.ballots_excellent,
            self.ballots_qualified,
            self.ballots_basic,
            self.ballots_unqualified,
        )


class FollowUp(models.Model):
    """What the branch did about a grade: a heart-to-heart talk (基本合格), the handling decided
    (不合格), or a nomination as reserve cadre / for an award (优秀)."""

    class Kind(models.TextChoices):
        TALK = "talk", "谈心谈话"
        HANDLING = "handling", "组织处置"
        CANDIDATE = "candidate", "后备力量/评先推荐"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="follow_ups")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    date = models.DateField("日期")
    who = models.CharField("谈话人/决定机关", max_length=100)
    notes = models.CharField("情况记录", max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "等次结果运用"
        ordering = ["-date", "pk"]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.date}"


class Appeal(models.Model):
    """A member's appeal of their grade to the township (党员权利保障条例 第十三条)."""

    class Status(models.TextChoices):
        OPEN = "open", "待乡镇处理"
        UPHELD = "upheld", "维持原等次"
        CHANGED = "changed", "更正等次"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appeals")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    received_on = models.DateField("收到日期")
    content = models.CharField("申诉内容", max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField("处理意见", max_length=2000, blank=True)
    decided_on = models.DateField("处理日期", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "等次申诉"
        ordering = ["-received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_on__isnull=False) & ~Q(decision="")),
                name="appeal_decided_has_decision",
            )
        ]

    workflow = Workflow(
        log="evaluations.AppealLog",
        moves={
            "uphold": ("维持原等次", [Status.OPEN], Status.UPHELD, "该申诉已处理。"),
            "change": ("更正等次", [Status.OPEN], Status.CHANGED, "该申诉已处理。"),
        },
    )

    def __str__(self):
        return f"{self.member} {self.year} 申诉"


class AppealLog(StatusLog):
    SUBJECT = "appeal"
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "申诉状态记录"

    def chain_scope(self) -> str:
        return str(self.appeal.branch_id)


class Notice(models.Model):
    """The public notice (党员积分制考核结果公示) of an approved assessment."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        APPROVED = "approved", "已审定"
        PUBLISHED = "published", "公示中"
        ARCHIVED = "archived", "已存档"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="notice", verbose_name="评定"
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="notices")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField("标题", max_length=200)
    objection_channel = models.CharField(
        "异议反映方式",
        max_length=300,
        help_text="公开张贴——只写受理人、地点和电话，不要写任何党员的个人信息。",
    )
    issued_on = models.DateField("落款日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    start_date = models.DateField("公示开始", null=True, blank=True)
    end_date = models.DateField("公示截止", null=True, blank=True)
    # The rows as approved: a list of dicts with only public fields (see services.notice_rows).
    rows = models.JSONField("公示内容", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "公示"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved"])
                | Q(start_date__isnull=False, end_date__isnull=False),
                name="notice_published_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="notice_period_ordered",
            ),
        ]

    workflow = Workflow(
        log="evaluations.NoticeLog",
        moves={
            "approve": ("审定", [Status.DRAFT], Status.APPROVED),
            "publish": ("发布", [Status.APPROVED], Status.PUBLISHED),
            "archive": ("存档", [Status.PUBLISHED], Status.ARCHIVED),
        },
    )

    def __str__(self):
        return self.title


class NoticeLog(StatusLog):
    SUBJECT = "notice"
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "公示状态记录"

    def chain_scope(self) -> str:
        return str(self.notice.branch_id)


class Objection(models.Model):
    """An objection (异议) raised during the notice period."""

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"
        RESOLVED = "resolved", "已办结"

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    anonymous = models.BooleanField("匿名", default=False)
    raised_by = models.CharField("反映人", max_length=50, blank=True)
    content = models.CharField("异议内容", max_length=2000)
    received_on = models.DateField("收到日期")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.CharField("答复", max_length=2000, blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    resolution = models.CharField("办结情况", max_length=2000, blank=True)
    resolved_on = models.DateField("办结日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=True) | ~Q(raised_by=""), name="objection_named_or_anonymous"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(answered_on__isnull=False) & ~Q(answer="")),
                name="objection_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_on__isnull=False),
                name="objection_resolved_has_date",
            ),
        ]

    workflow = Workflow(
        log="evaluations.ObjectionLog",
        moves={
            "answer": ("答复", [Status.OPEN], Status.ANSWERED, "该异议已经答复。"),
            "resolve": ("办结", [Status.ANSWERED], Status.RESOLVED),
        },
    )

    def __str__(self):
        return f"{self.notice} 异议 {self.received_on}"


class ObjectionLog(StatusLog):
    SUBJECT = "objection"
    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "异议状态记录"

    def chain_scope(self) -> str:
        return str(self.objection.notice.branch_id)


class ArchiveQuerySet(AppendOnlyQuerySet, BranchScopedQuerySet):
    pass


class ArchivedNotice(Chained):
    """Exactly what was posted, frozen: never updated or deleted (model and queryset refuse), and
    chained with a keyed hash to the branch's previous archive (core.chain). ``content_hash`` is
    the keyed hash of the snapshot alone, shown on the archive page."""

    immutable_message = "存档内容不能修改、不能删除。"
    HASHED = (
        "notice",
        "branch",
        "year",
        "period",
        "snapshot",
        "content_hash",
        "archived_at",
        "archived_by",
    )

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="archive")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="archived_notices")
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("期间", max_length=2, choices=Period.choices)
    snapshot = models.JSONField("存档内容")
    content_hash = models.CharField("内容摘要（HMAC-SHA256）", max_length=64)
    archived_at = models.DateTimeField(default=timezone.now)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ArchiveQuerySet.as_manager()

    class Meta(Chained.Meta):
        verbose_name = verbose_name_plural = "公示存档"
        ordering = ["-year", "period", "branch"]
        constraints = [
            *Chained.Meta.constraints,
            models.UniqueConstraint(fields=["branch", "year", "period"], name="archive_unique"),
        ]

    def __str__(self):
        return f"{self.branch.name} {self.year} {self.get_period_display()} 存档"

    def chain_scope(self) -> str:
        return str(self.branch_id)
