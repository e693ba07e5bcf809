"""Posts and pledges (设岗定责 · 承诺践诺), a member's PIN for declaring from their card link,
migrant members' monthly report-in, and shared notice links (DOMAIN §8)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.transitions import StatusLog, Workflow
from members.models import Branch, Member, ScopedQuerySet

ALREADY_DONE = "当前状态为“{current}”，不能再操作（可能刚被他人处理，请刷新页面）。"


class PostTemplate(models.Model):
    """The county's starter list of posts that a branch copies and adapts (edited in the
    system configuration; seeded by a data migration with the county's eight usual posts)."""

    name = models.CharField("岗位名称", max_length=40, unique=True)
    duties = models.CharField("岗位职责", max_length=300, blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("可供选用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "岗位参考清单"
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class PostQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"


class Post(models.Model):
    """A post a branch set up for members without office: name, duties, how many may hold it."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="posts", verbose_name="党支部"
    )
    name = models.CharField("岗位名称", max_length=40)
    duties = models.CharField("岗位职责", max_length=300, blank=True)
    holders = models.PositiveSmallIntegerField("设岗人数", default=1)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党员岗位"
        ordering = ["branch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="post_unique_name"),
            # A post for nobody is no post; 50 is more than any village's members without office.
            models.CheckConstraint(
                condition=Q(holders__gte=1, holders__lte=50), name="post_holders_bounded"
            ),
        ]

    def __str__(self):
        return self.name


class HoldingQuerySet(ScopedQuerySet):
    township_path = "post__branch__township"
    branch_path = "post__branch"

    def current(self):
        return self.exclude(status=PostHolding.Status.ENDED)


class PostHolding(models.Model):
    """A member holding a post for a year: claimed by the member (自主认领) or assigned by the
    branch (组织安排), then confirmed by the committee; ended when they leave it."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "本人认领"
        ASSIGNED = "assigned", "组织安排"
        CONFIRMED = "confirmed", "支委会已确认"
        ENDED = "ended", "已离岗"

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="post_holdings", verbose_name="党员"
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="holdings", verbose_name="岗位"
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = HoldingQuerySet.as_manager()

    workflow = Workflow(
        log="posts.PostHoldingLog",
        moves={
            "confirm": ("确认", [Status.CLAIMED, Status.ASSIGNED], Status.CONFIRMED, ALREADY_DONE),
            "end": (
                "离岗",
                [Status.CLAIMED, Status.ASSIGNED, Status.CONFIRMED],
                Status.ENDED,
                ALREADY_DONE,
            ),
        },
    )

    class Meta:
        verbose_name = verbose_name_plural = "岗位认领"
        ordering = ["post", "member__name_sort", "pk"]
        constraints = [
            # One post per member per year: the ended one may be followed by another.
            models.UniqueConstraint(
                fields=["member", "year"],
                condition=~Q(status="ended"),
                name="postholding_one_per_member_year",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2099), name="postholding_year_valid"
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.year}年 {self.post}"


class PostHoldingLog(StatusLog):
    SUBJECT = "holding"
    holding = models.ForeignKey(PostHolding, on_delete=models.PROTECT, related_name="logs")

    class Meta(StatusLog.Meta):
        verbose_name = verbose_name_plural = "岗位认领状态记录"

    def chain_scope(self) -> str:
        return str(self.holding.post.branch_id)


class Pledge(models.Model):
    """What the holder promises to do this year (《党员履岗承诺书》), typed from the signed
    paper or before printing it for signing."""

    holding = models.OneToOneField(
        PostHolding, on_delete=models.PROTECT, related_name="pledge", verbose_name="岗位认领"
    )
    text = models.CharField("承诺内容", max_length=500)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "履岗承诺"

    def __str__(self):
        return f"{self.holding} 承诺"


class PostRating(models.Model):
    """The committee's quarterly rating of one holder (践诺). 履职良好 proposes G01 and 未履职
    proposes K08 in the quarter's last month; ``declaration`` is that proposal, so saving the
    rating again never proposes twice."""

    class Rating(models.TextChoices):
        GOOD = "good", "履职良好"
        BASIC = "basic", "基本履职"
        FAILED = "failed", "未履职"

    holding = models.ForeignKey(
        PostHolding, on_delete=models.PROTECT, related_name="ratings", verbose_name="岗位认领"
    )
    quarter = models.PositiveSmallIntegerField("季度")
    rating = models.CharField("评定", max_length=8, choices=Rating.choices)
    deeds = models.PositiveSmallIntegerField("为群众办实事（件）", default=0)
    disputes = models.PositiveSmallIntegerField("调处矛盾（起）", default=0)
    audience = models.PositiveIntegerField("宣讲（人次）", default=0)
    note = models.CharField("履职情况", max_length=300, blank=True)
    declaration = models.ForeignKey(
        "scoring.Declaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="提出的积分",
    )
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="评定人"
    )
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "岗位季度评定"
        ordering = ["holding", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["holding", "quarter"], name="postrating_one_per_q"),
            # A proposal belongs to one rating: a rating saved again never reuses another's.
            models.UniqueConstraint(fields=["declaration"], name="postrating_one_proposal"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="postrating_quarter_valid"
            ),
            # A village's quarter: more than 999 deeds or 100,000 listeners is a typing error.
            models.CheckConstraint(
                condition=Q(deeds__lte=999, disputes__lte=999, audience__lte=100000),
                name="postrating_counts_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.holding} 第{self.quarter}季度 {self.get_rating_display()}"


class MemberPin(models.Model):
    """The 6-digit PIN a member types on their card link page before declaring. Only a hash is
    kept (Django's password hashers). ``version`` goes up at each reset and is kept in the
    member's session, so a reset ends every open session. Wrong tries are counted here, in the
    database, not in the cache: the count must hold across server processes and restarts, and
    it belongs to the card, not to an address (a village shares one mobile network address)."""

    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="pin", verbose_name="党员"
    )
    pin_hash = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    failures = models.PositiveSmallIntegerField("连续输错次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发放人"
    )
    issued_at = models.DateTimeField("发放时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "本人申报密码"

    def __str__(self):
        return f"{self.member} 申报密码"


class MigrantReport(models.Model):
    """A migrant member's (C 类) monthly report-in: where they are and what they are doing."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="migrant_reports", verbose_name="党员"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    place = models.CharField("所在地", max_length=60)
    doing = models.CharField("在做什么", max_length=300)
    photo = models.FileField("照片", upload_to="reports/%Y/%m/", blank=True)
    reported_at = models.DateTimeField("报到时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "流动党员报到"
        ordering = ["-year", "-month", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "month"], name="migrantreport_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="migrantreport_month_valid"
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.year}年{self.month}月报到"


def new_share_token() -> str:
    return secrets.token_urlsafe(32)


class NoticeShare(models.Model):
    """A public link to a published notice, for the village WeChat group: revocable, never
    deleted (who shared what stays)."""

    notice = models.ForeignKey(
        "evaluations.Notice", on_delete=models.PROTECT, related_name="+", verbose_name="公示"
    )
    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="分享人"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="停用人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "公示分享链接"
        constraints = [
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(revoked_at__isnull=True),
                name="noticeshare_one_active",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="noticeshare_revoked_has_author",
            ),
        ]

    def __str__(self):
        return f"{self.notice} 分享链接"
