"""The organisation tree (city → county → township → branch), its people and their roles.

Category and roll membership both have history: "which category did this member hold in month M"
and "was this member on this branch's roll in month M" each have exactly one answer, read from
`CategoryChange` and `RollPeriod` rows that are only ever added or closed, never rewritten.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Length
from django.db.models.lookups import Exact as Equal
from django.utils import timezone

from members.names import pinyin_sort_key

# No one joined, and no roll began, before the Party was founded.
PARTY_FOUNDED = datetime.date(1921, 7, 1)


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class Category(models.TextChoices):
    A = "A", "A类（村“两委”成员、村民小组长）"
    B = "B", "B类（在村无职、能履职）"
    C = "C", "C类（长期外出流动）"
    D = "D", "D类（年老体弱、长期患病或残疾）"

    @classmethod
    def short_label(cls, value: str) -> str:
        return f"{value}类"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)` names the only way views read scoped rows.

    Each subclass names the path from its model to the township and to the branch; the path to
    the county is the township's ``county`` one step further."""

    township_path: str = ""
    branch_path: str = ""

    @property
    def county_path(self) -> str:
        return "county" if self.township_path == "pk" else f"{self.township_path}__county"

    def visible_to(self, user):
        official = getattr(user, "official", None) if user.is_authenticated else None
        if official is None:
            return self.none()
        if official.role == Official.Role.CITY:
            return self.filter(**{f"{self.county_path}__city": official.city_id})
        if official.role == Official.Role.COUNTY:
            return self.filter(**{self.county_path: official.county_id})
        if official.role == Official.Role.TOWNSHIP:
            return self.filter(**{self.township_path: official.township_id})
        return self.filter(**{self.branch_path: official.branch_id})


class City(models.Model):
    """A city's organisation department (市委组织部), above some counties: it reads their work
    side by side and enters none of it. A county need not belong to one (a database holding a
    single county has no city)."""

    name = models.CharField("市", max_length=40, unique=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "市"
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class CountyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The county admin's own county; a city admin's counties; nothing for anyone else."""
        official = getattr(user, "official", None) if user.is_authenticated else None
        if official is None:
            return self.none()
        if official.role == Official.Role.CITY:
            return self.filter(city=official.city_id)
        if official.role == Official.Role.COUNTY:
            return self.filter(pk=official.county_id)
        return self.none()


class County(models.Model):
    """One county's organisation department and everything under it.

    A county admin sees their own county only; a database may hold many (the province scale),
    and a city may sit above some of them."""

    city = models.ForeignKey(
        City,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counties",
        verbose_name="所属市",
    )
    name = models.CharField("县（市、区）", max_length=40, unique=True)
    position = models.PositiveSmallIntegerField("排序", default=0)

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "县（市、区）"
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class TownshipQuerySet(ScopedQuerySet):
    township_path = "pk"
    branch_path = "branches"


class Township(models.Model):
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="townships", verbose_name="县（市、区）"
    )
    name = models.CharField("乡镇", max_length=40)
    position = models.PositiveSmallIntegerField("排序", default=0)

    objects = TownshipQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "乡镇"
        ordering = ["position", "name"]
        constraints = [
            # Two counties may both have a 城关镇; one county may not have two.
            models.UniqueConstraint(fields=["county", "name"], name="township_unique_name"),
        ]

    def __str__(self):
        return self.name


class BranchQuerySet(ScopedQuerySet):
    township_path = "township"
    branch_path = "pk"


class Branch(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", "村党支部"
        COMMUNITY = "community", "社区党支部"

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="branches", verbose_name="乡镇"
    )
    name = models.CharField("村（社区）", max_length=40)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    position = models.PositiveSmallIntegerField("排序", default=0)
    # Last points-card sequence number issued in this branch; bumped with a conditional UPDATE.
    card_sequence = models.PositiveIntegerField(default=0, editable=False)
    # The last month (a first of month) the branch committee has closed, kept by the month's
    # close: a closed month is history, so a roster change takes effect only after it.
    closed_through = models.DateField("已结账至", null=True, blank=True, editable=False)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党支部"
        ordering = ["township__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="branch_unique_name"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        suffix = "党支部"
        return f"{self.name}{suffix}"


class MemberQuerySet(ScopedQuerySet):
    township_path = "branch__township"
    branch_path = "branch"

    def with_current_category(self):
        latest = CategoryChange.objects.filter(member=OuterRef("pk")).order_by("-effective_from")
        return self.annotate(current_category=Subquery(latest.values("category")[:1]))

    def on_roll(self, branch, month: datetime.date):
        """Members on `branch`'s roll at some point of the month starting `month`."""
        month = first_of_month(month)
        # One filter() call, so all three conditions apply to the SAME roll period.
        return self.filter(
            Q(roll_periods__end__isnull=True) | Q(roll_periods__end__gte=month),
            roll_periods__branch=branch,
            roll_periods__start__lte=month,
        ).distinct()


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "在册"
        TRANSFERRED = "transferred", "转出"
        DECEASED = "deceased", "去世"
        SUSPENDED = "suspended", "停止党籍"

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name="所在党支部",
        help_text="当前（或最后）所在的党支部；历史见组织关系记录。",
    )
    name = models.CharField("姓名", max_length=30)
    name_sort = models.CharField(max_length=120, editable=False, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        help_text="仅用于唯一识别党员；系统内脱敏显示，任何公开材料中都不出现。",
    )
    birth_date = models.DateField("出生日期")
    phone = models.CharField("联系电话", max_length=20, blank=True)
    joined_party = models.DateField("入党日期")
    status = models.CharField(
        "党籍状态", max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    status_date = models.DateField("状态变更日期", null=True, blank=True)
    card_number = models.CharField("积分卡号", max_length=20, unique=True, editable=False)
    has_plaque = models.BooleanField("已挂“共产党员户”牌", default=True)
    notes = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党员"
        ordering = ["name_sort", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", status_date__isnull=True)
                | (~Q(status="active") & Q(status_date__isnull=False)),
                name="member_status_date_iff_not_active",
            ),
            models.CheckConstraint(
                condition=Q(joined_party__gt=F("birth_date")), name="member_joined_after_birth"
            ),
            models.CheckConstraint(
                condition=Q(joined_party__gte=PARTY_FOUNDED), name="member_joined_after_1921"
            ),
            models.CheckConstraint(
                condition=Equal(Length("id_number"), 18), name="member_id_number_18_characters"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="member_has_name"),
        ]
        indexes = [models.Index(fields=["branch", "name_sort"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_sort = pinyin_sort_key(self.name)
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self) -> str:
        from members.idcard import mask_id_number

        return mask_id_number(self.id_number)

    def category_in(self, month: datetime.date) -> str | None:
        change = (
            self.category_changes.filter(effective_from__lte=first_of_month(month))
            .order_by("-effective_from")
            .first()
        )
        return change.category if change else None


class CategoryChange(models.Model):
    """The category a member holds from `effective_from` (a first of month) until the next row."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="category_changes", verbose_name="党员"
    )
    category = models.CharField("类别", max_length=1, choices=Category.choices)
    effective_from = models.DateField("自该月起生效")
    reason = models.CharField("原因", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "类别变更记录"
        ordering = ["member", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "effective_from"], name="category_one_change_per_month"
            ),
            models.CheckConstraint(
                condition=Q(category__in=["A", "B", "C", "D"]), name="category_known"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__gte=PARTY_FOUNDED), name="category_after_1921"
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.effective_from:%Y-%m} 起 {self.category}类"


class RollPeriodQuerySet(models.QuerySet):
    def covering(self, month: datetime.date):
        """Periods that hold their member on the roll in the month starting ``month``: "the
        members on a roll this month", the one count every page uses."""
        month = first_of_month(month)
        return self.filter(start__lte=month).filter(Q(end__isnull=True) | Q(end__gte=month))


class RollPeriod(models.Model):
    """Months a member is on a branch's roll: `start` to `end` (first days of months), inclusive.

    `end` is empty while the member is still on the roll. A transfer closes one period and opens
    another in the same transaction (see services.member_transfer).
    """

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="roll_periods", verbose_name="党员"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="roll_periods", verbose_name="党支部"
    )
    start = models.DateField("起始月份")
    end = models.DateField("截止月份", null=True, blank=True)
    start_reason = models.CharField("转入/登记原因", max_length=200)
    end_reason = models.CharField("转出/离册原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RollPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "组织关系（在册时段）"
        ordering = ["member", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="roll_end_after_start"
            ),
            models.CheckConstraint(condition=Q(start__gte=PARTY_FOUNDED), name="roll_after_1921"),
            # At most one open period per member: a member is on one roll at a time.
            models.UniqueConstraint(
                fields=["member"], condition=Q(end__isnull=True), name="roll_one_open_period"
            ),
        ]
        indexes = [models.Index(fields=["branch", "start", "end"])]

    def __str__(self):
        end = f"{self.end:%Y-%m}" if self.end else "至今"
        return f"{self.member} {self.branch.name} {self.start:%Y-%m}—{end}"


class Official(models.Model):
    """Who a login is in the organisation, and therefore what they may see."""

    class Role(models.TextChoices):
        CITY = "city", "市委组织部管理员"
        COUNTY = "county", "县委组织部管理员"
        TOWNSHIP = "township", "乡镇组织委员"
        SECRETARY = "secretary", "村党支部书记"
        ASSESSOR = "assessor", "积分考核小组成员"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official"
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices)
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, null=True, blank=True, verbose_name="市"
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, null=True, blank=True, verbose_name="县（市、区）"
    )
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, verbose_name="乡镇"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, verbose_name="党支部"
    )

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role="city",
                        city__isnull=False,
                        county__isnull=True,
                        township__isnull=True,
                        branch__isnull=True,
                    )
                    | Q(
                        role="county",
                        city__isnull=True,
                        county__isnull=False,
                        township__isnull=True,
                        branch__isnull=True,
                    )
                    | Q(
                        role="township",
                        city__isnull=True,
                        county__isnull=True,
                        township__isnull=False,
                        branch__isnull=True,
                    )
                    | Q(
                        role__in=["secretary", "assessor"],
                        city__isnull=True,
                        county__isnull=True,
                        township__isnull=True,
                        branch__isnull=False,
                    )
                ),
                name="official_scope_matches_role",
            )
        ]

    def __str__(self):
        if self.county is not None:
            where = f"{self.county}县委组织部"
        elif self.city is not None:
            where = f"{self.city}委组织部"
        else:
            where = self.branch or self.township
        return f"{self.user.get_username()}（{self.get_role_display()}，{where}）"

    @property
    def is_city(self) -> bool:
        """Reads its counties' work; no write step accepts it (no can_* rule below names it)."""
        return self.role == self.Role.CITY

    @property
    def is_county(self) -> bool:
        return self.role == self.Role.COUNTY

    @property
    def is_township(self) -> bool:
        return self.role == self.Role.TOWNSHIP

    @property
    def is_branch(self) -> bool:
        return self.role in (self.Role.SECRETARY, self.Role.ASSESSOR)

    def can_manage_roster(self, branch: Branch) -> bool:
        if self.is_county:
            return self.county_id == branch.township.county_id
        return self.role == self.Role.SECRETARY and self.branch_id == branch.pk

    def can_enter_points(self, branch: Branch) -> bool:
        """Declarations, review and deductions: the branch's secretary and assessment group."""
        return self.is_branch and self.branch_id == branch.pk

    def is_secretary_of(self, branch: Branch) -> bool:
        """Clearing items, closing the month, corrections, adopting the rules."""
        return self.role == self.Role.SECRETARY and self.branch_id == branch.pk

    def is_township_official_of(self, branch: Branch) -> bool:
        """Approving a branch's periods, deciding its members' appeals."""
        return self.is_township and self.township_id == branch.township_id

    def sees_full_id_numbers(self) -> bool:
        return self.is_county


def new_card_token() -> str:
    """43 URL-safe characters from 32 random bytes: the secret part of a card's public link."""
    return secrets.token_urlsafe(32)


class CardLinkQuerySet(ScopedQuerySet):
    township_path = "member__branch__township"
    branch_path = "member__branch"

    def active(self):
        return self.filter(revoked_at__isnull=True)


class CardLink(models.Model):
    """The unguessable link behind the QR code on a member's points card.

    Anyone holding the link sees that member's own card, read-only, without logging in. A link is
    never deleted: revoking sets `revoked_at`, and reissuing revokes the old link and adds a new
    one, so the history of who issued and revoked what stays. At most one link is active.
    """

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="card_links", verbose_name="党员"
    )
    token = models.CharField(
        max_length=64,
        unique=True,
        default=new_card_token,
        editable=False,
        help_text="公开链接中的随机部分；持有链接即可查看该党员的积分卡，不要外传。",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="生成人"
    )
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="停用人",
    )

    objects = CardLinkQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "积分卡二维码链接"
        ordering = ["member", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(revoked_at__isnull=True),
                name="cardlink_one_active_per_member",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="cardlink_revoked_has_author",
            ),
        ]

    def __str__(self):
        state = "已停用" if self.revoked_at else "有效"
        return f"{self.member} 积分卡链接（{state}）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
