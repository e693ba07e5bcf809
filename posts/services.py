"""Posts and pledges, the quarterly rating, the member's PIN and own declarations, migrant
report-in and shared notice links. Each function is one transaction, takes keyword arguments and
checks who may act (members.permissions); status changes go through core.transitions; points
are only ever proposed through scoring.services, so they pass the committee's normal review."""

from __future__ import annotations

import calendar
import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.transitions import record_created, transition
from members.models import Branch, Category, Member
from members.permissions import require_points_clerk, require_secretary, system_user
from posts.models import (
    MemberPin,
    MigrantReport,
    NoticeShare,
    Pledge,
    Post,
    PostHolding,
    PostRating,
    PostTemplate,
)
from scoring import services as scoring
from scoring.models import Declaration, RuleItem

PIN_LENGTH = 6
PIN_MAX_FAILURES = 5
PIN_LOCK = datetime.timedelta(hours=1)
RATING_ITEM = {PostRating.Rating.GOOD: "G01", PostRating.Rating.FAILED: "K08"}


# --- Posts --------------------------------------------------------------------------------------


@transaction.atomic
def post_create(*, branch: Branch, name: str, duties: str, holders: int, by) -> Post:
    require_secretary(by, branch)
    if Post.objects.filter(branch=branch, name=name).exists():
        raise ValidationError({"name": f"本支部已有“{name}”。"})
    return Post.objects.create(branch=branch, name=name, duties=duties, holders=holders)


@transaction.atomic
def post_update(*, post: Post, name: str, duties: str, holders: int, active: bool, by) -> Post:
    require_secretary(by, post.branch)
    if Post.objects.filter(branch=post.branch, name=name).exclude(pk=post.pk).exists():
        raise ValidationError({"name": f"本支部已有“{name}”。"})
    post = Post.objects.select_for_update().get(pk=post.pk)
    year = timezone.localdate().year
    holding_now = post.holdings.filter(year=year).current().count()
    if holders < holding_now:
        raise ValidationError(
            {"holders": f"本年度已有 {holding_now} 人在岗，设岗人数不能少于在岗人数。"}
        )
    post.name, post.duties, post.holders, post.active = name, duties, holders, active
    post.save()
    return post


@transaction.atomic
def posts_copy_templates(*, branch: Branch, templates, by) -> int:
    """Copy posts from the county's starter list; a name the branch already has is skipped."""
    require_secretary(by, branch)
    have = set(Post.objects.filter(branch=branch).values_list("name", flat=True))
    new = [
        Post(branch=branch, name=t.name, duties=t.duties, holders=1)
        for t in templates
        if isinstance(t, PostTemplate) and t.name not in have
    ]
    Post.objects.bulk_create(new)
    return len(new)


# --- Holders ------------------------------------------------------------------------------------


@transaction.atomic
def holding_create(*, post: Post, member: Member, year: int, assigned: bool, by) -> PostHolding:
    """A member claims the post (自主认领) or the branch assigns it (组织安排), waiting for the
    committee's confirmation. The post row is locked first, so two claims for its last place
    cannot both pass the count."""
    require_points_clerk(by, post.branch)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.active:
        raise ValidationError({"post": f"“{post.name}”已停用。"})
    if member.branch_id != post.branch_id or member.status != Member.Status.ACTIVE:
        raise ValidationError({"member": f"{member.name}不在本支部在册党员中。"})
    taken = post.holdings.filter(year=year).current().count()
    if taken >= post.holders:
        raise ValidationError(
            {"post": f"“{post.name}”设 {post.holders} 人，{year}年已满员，请选择其他岗位。"}
        )
    if PostHolding.objects.filter(member=member, year=year).current().exists():
        raise ValidationError({"member": f"{member.name}{year}年已认领岗位，每人每年一个岗位。"})
    status = PostHolding.Status.ASSIGNED if assigned else PostHolding.Status.CLAIMED
    try:
        with transaction.atomic():
            holding = PostHolding.objects.create(
                member=member, post=post, year=year, status=status, created_by=by
            )
    except IntegrityError as error:  # the same member, at the same moment, elsewhere
        raise ValidationError(
            {"member": f"{member.name}{year}年已认领岗位，每人每年一个岗位。"}
        ) from error
    record_created(holding, by=by, reason=holding.get_status_display())
    return holding


def holding_claim_self(*, member: Member, post: Post) -> PostHolding:
    """The member claims a post from their own page (自主认领), after the PIN: the same checks
    as a claim the secretary records, acting through the system user (as a self declaration
    does); the committee still confirms it."""
    return holding_create(
        post=post, member=member, year=timezone.localdate().year, assigned=False, by=system_user()
    )


@transaction.atomic
def holding_confirm(*, holding: PostHolding, by) -> PostHolding:
    """The branch committee confirms the claim or assignment (recorded by the secretary)."""
    require_secretary(by, holding.post.branch)
    transition(holding, "confirm", by=by, reason="支委会确认")
    return holding


@transaction.atomic
def holding_end(*, holding: PostHolding, by, reason: str) -> PostHolding:
    require_secretary(by, holding.post.branch)
    if not reason.strip():
        raise ValidationError({"reason": "请写明离岗原因。"})
    transition(holding, "end", by=by, reason=reason.strip())
    return holding


@transaction.atomic
def pledge_save(*, holding: PostHolding, text: str, by) -> Pledge:
    require_points_clerk(by, holding.post.branch)
    if holding.status == PostHolding.Status.ENDED:
        raise ValidationError("已离岗，不能再修改承诺。")
    if not text.strip():
        raise ValidationError({"text": "请填写承诺内容。"})
    pledge, _ = Pledge.objects.update_or_create(
        holding=holding,
        defaults={"text": text.strip(), "updated_by": by, "updated_at": timezone.now()},
    )
    return pledge


# --- The quarterly rating -----------------------------------------------------------------------


def quarter_last_month(quarter: int) -> int:
    return quarter * 3


@transaction.atomic
def rating_save(
    *,
    holding: PostHolding,
    quarter: int,
    rating: str,
    deeds: int = 0,
    disputes: int = 0,
    audience: int = 0,
    note: str = "",
    by,
) -> PostRating:
    """Rate a holder for a quarter. 履职良好 proposes G01 and 未履职 proposes K08 as waiting
    entries (source POST) of the quarter's last month, through scoring.services; the rating
    keeps its proposal, so saving it again proposes nothing new. Refused, with nothing saved,
    while that month is closed (a closed month is history, DOMAIN §3.7)."""
    branch = holding.post.branch
    require_points_clerk(by, branch)
    if holding.status == PostHolding.Status.ENDED:
        raise ValidationError("已离岗，不再评定。")
    if holding.status != PostHolding.Status.CONFIRMED:
        raise ValidationError("岗位认领经支委会确认后才能评定。")
    if not 1 <= quarter <= 4:
        raise ValidationError("季度须为 1–4。")
    # The holding row is the lock: two saves of the same holder's rating (two clerks, a double
    # click) run one after the other, so the second sees the first's proposal.
    list(PostHolding.objects.select_for_update().filter(pk=holding.pk).values_list("pk"))
    year, month = holding.year, quarter_last_month(quarter)
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise ValidationError(
            f"{year}年第{quarter}季度的最后一个月（{month}月）还没到，到时再评定。"
        )
    branch_month = scoring.month_view(branch=branch, year=year, month=month)
    if branch_month is None:
        raise ValidationError(f"{year}年的积分细则尚未发布，请联系县委组织部。")
    if branch_month.pk and not branch_month.is_open:
        raise ValidationError(
            f"{year}年{month}月已于支委会结账，第{quarter}季度的岗位评定不能再保存"
            "（评定会在该月提出加分或扣分）；如需更正，请在积分卡上登记更正记录。"
        )
    existing = (
        # Only the rating row is locked (PostgreSQL refuses FOR UPDATE on an outer join's
        # nullable side); two saves of the same rating wait for each other here.
        PostRating.objects.select_for_update(of=("self",))
        .select_related("declaration__item")
        .filter(holding=holding, quarter=quarter)
        .first()
    )
    declaration = existing.declaration if existing else None
    wanted = RATING_ITEM.get(rating)
    if declaration is not None and declaration.item.code != wanted:
        # The rating changed: the earlier proposal no longer stands.
        if declaration.status == Declaration.Status.APPROVED:
            raise ValidationError(
                f"按原评定提出的 {declaration.item.code} 已经支委会审议通过，不能再改评定；"
                "如有错误，请在积分卡上登记更正记录。"
            )
        if declaration.status == Declaration.Status.SUBMITTED:
            scoring.declaration_withdraw(
                declaration=declaration,
                by=by,
                reason=f"岗位评定改为“{PostRating.Rating(rating).label}”",
            )
        declaration = None
    if wanted and declaration is None:
        item = (
            scoring.active_items(branch=branch, rule_set=branch_month.rule_set)
            .filter(code=wanted)
            .first()
        )
        if item is None:
            raise ValidationError(f"本支部{year}年采用的细则中没有 {wanted} 项目，无法提出积分。")
        last_day = datetime.date(year, month, calendar.monthrange(year, month)[1])
        deeds_text = f"办实事{deeds}件，调处矛盾{disputes}起，宣讲{audience}人次"
        declaration = scoring.declaration_create(
            member=holding.member,
            branch=branch,
            year=year,
            month=month,
            item=item,
            occurred_on=min(last_day, today),
            description=(
                f"{holding.post.name}第{quarter}季度{PostRating.Rating(rating).label}：{deeds_text}"
            )[:300],
            source=Declaration.Source.POST,
            confirm_duplicate=True,  # the rating is the one proposal of its quarter
            by=by,
        )
    values = {
        "rating": rating,
        "deeds": deeds,
        "disputes": disputes,
        "audience": audience,
        "note": note.strip(),
        "declaration": declaration,
        "rated_by": by,
        "rated_at": timezone.now(),
    }
    if existing is None:
        return PostRating.objects.create(holding=holding, quarter=quarter, **values)
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save()
    return existing


# --- The year's summary -------------------------------------------------------------------------


@dataclass
class Summary:
    name: str
    posts: int = 0
    holders: int = 0
    good: int = 0
    basic: int = 0
    failed: int = 0
    deeds: int = 0
    disputes: int = 0
    audience: int = 0

    def add(self, other: Summary) -> None:
        for field in ("posts", "holders", "good", "basic", "failed", "deeds", "disputes"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.audience += other.audience

    @property
    def sentence(self) -> str:
        return (
            f"设岗 {self.posts} 个，{self.holders} 名无职党员在岗，累计为群众办实事 "
            f"{self.deeds} 件、调处矛盾 {self.disputes} 起、宣讲 {self.audience} 人次。"
        )


def summaries(*, branches, year: int) -> dict[int, Summary]:
    """Per branch: posts, holders and the year's deeds, in three grouped queries."""
    branches = list(branches)
    result = {b.pk: Summary(name=b.name) for b in branches}
    ids = list(result)
    for row in (
        Post.objects.filter(branch_id__in=ids, active=True)
        .values("branch_id")
        .annotate(n=Count("pk"))
    ):
        result[row["branch_id"]].posts = row["n"]
    for row in (
        PostHolding.objects.filter(post__branch_id__in=ids, year=year)
        .current()
        .values("post__branch_id")
        .annotate(n=Count("pk"))
    ):
        result[row["post__branch_id"]].holders = row["n"]
    for row in (
        PostRating.objects.filter(holding__post__branch_id__in=ids, holding__year=year)
        .values("holding__post__branch_id")
        .annotate(
            deeds=Sum("deeds"),
            disputes=Sum("disputes"),
            audience=Sum("audience"),
            good=Count("pk", filter=Q(rating=PostRating.Rating.GOOD)),
            basic=Count("pk", filter=Q(rating=PostRating.Rating.BASIC)),
            failed=Count("pk", filter=Q(rating=PostRating.Rating.FAILED)),
        )
    ):
        s = result[row["holding__post__branch_id"]]
        for field in ("deeds", "disputes", "audience", "good", "basic", "failed"):
            setattr(s, field, row[field] or 0)
    return result


# --- The member's PIN ---------------------------------------------------------------------------


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"


@transaction.atomic
def pin_issue(*, member: Member, by) -> str:
    """Issue or reset the member's PIN; returns it in clear, once (only its hash is kept). A
    reset raises the version, which ends every session opened with the old PIN, and lifts a
    lock."""
    require_secretary(by, member.branch)
    if member.status != Member.Status.ACTIVE:
        raise ValidationError(f"{member.name}已不在册，不能发放申报密码。")
    pin = new_pin()
    existing = MemberPin.objects.select_for_update().filter(member=member).first()
    if existing is None:
        MemberPin.objects.create(member=member, pin_hash=make_password(pin), issued_by=by)
    else:
        existing.pin_hash = make_password(pin)
        existing.version += 1
        existing.failures = 0
        existing.locked_until = None
        existing.issued_by = by
        existing.issued_at = timezone.now()
        existing.save()
    return pin


class PinRefused(ValidationError):
    pass


def pin_locked_until(member: Member) -> datetime.datetime | None:
    locked = MemberPin.objects.filter(member=member).values_list("locked_until", flat=True).first()
    return locked if locked and locked > timezone.now() else None


@transaction.atomic
def pin_check(*, member: Member, pin: str) -> MemberPin:
    """The member's PIN row if ``pin`` is right; PinRefused otherwise. The row is locked while
    checking, so parallel guesses are counted one by one; the fifth wrong one in a row locks
    declaring from this card for an hour (reading the card stays open)."""
    row = MemberPin.objects.select_for_update().filter(member=member).first()
    if row is None:
        raise PinRefused("还没有发放申报密码，请向村党支部书记领取。")
    now = timezone.now()
    if row.locked_until and row.locked_until > now:
        raise PinRefused(_locked_message(row.locked_until))
    if check_password(pin, row.pin_hash):
        if row.failures or row.locked_until:
            row.failures, row.locked_until = 0, None
            row.save(update_fields=["failures", "locked_until"])
        return row
    row.failures += 1
    if row.failures >= PIN_MAX_FAILURES:
        row.failures, row.locked_until = 0, now + PIN_LOCK
        row.save(update_fields=["failures", "locked_until"])
        # Committed despite the refusal: the caller raises after the transaction ends.
        return _Refusal(_locked_message(row.locked_until))
    row.save(update_fields=["failures"])
    left = PIN_MAX_FAILURES - row.failures
    return _Refusal(f"密码不对，还可以再试 {left} 次；连续输错 {PIN_MAX_FAILURES} 次将锁定一小时。")


class _Refusal(str):
    """A wrong PIN, returned (not raised) so the failure count is committed."""


def _locked_message(until: datetime.datetime) -> str:
    local = timezone.localtime(until)
    return (
        f"密码连续输错 {PIN_MAX_FAILURES} 次，本积分卡的申报已锁定到 {local:%H:%M}，"
        "请稍后再试，或请书记重置密码。"
    )


def pin_verify(*, member: Member, pin: str) -> MemberPin:
    """pin_check, raising PinRefused for a wrong PIN after its count has been saved."""
    result = pin_check(member=member, pin=pin)
    if isinstance(result, _Refusal):
        raise PinRefused(str(result))
    return result


# --- The member's own declaration and report-in ---------------------------------------------------


def self_declare(
    *, member: Member, item: RuleItem, occurred_on: datetime.date, description: str, photo=None
) -> Declaration:
    """A member's declaration for themselves (本人申报): waiting for review in the month of the
    date, exactly like one the secretary typed. Acts through the system user (scoring's rule
    for SELF); refused into a closed month with scoring's reason."""
    return scoring.declaration_create(
        member=member,
        branch=member.branch,
        year=occurred_on.year,
        month=occurred_on.month,
        item=item,
        occurred_on=occurred_on,
        description=description,
        photo=photo,
        source=Declaration.Source.SELF,
        by=system_user(),
    )


def is_migrant(member: Member, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return member.category_in(today.replace(day=1)) == Category.C


@transaction.atomic
def migrant_report(*, member: Member, place: str, doing: str, photo=None) -> MigrantReport:
    """This month's report-in; reporting again in the same month replaces what it said."""
    today = timezone.localdate()
    if not is_migrant(member, today):
        raise ValidationError("只有流动党员（C类）需要每月报到。")
    if not place.strip() or not doing.strip():
        raise ValidationError("请填写所在地和在做什么。")
    report, _ = MigrantReport.objects.update_or_create(
        member=member,
        year=today.year,
        month=today.month,
        defaults={
            "branch": member.branch,
            "place": place.strip(),
            "doing": doing.strip(),
            "reported_at": timezone.now(),
            **({"photo": photo} if photo else {}),
        },
    )
    return report


def months_back(year: int, month: int, n: int) -> list[tuple[int, int]]:
    """(year, month) of this month and the n-1 before it, newest first."""
    out = []
    for _ in range(n):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def migrant_rows(*, branch: Branch, year: int, month: int) -> list[dict]:
    """The branch's C-category members on the roll that month, with whether they reported this
    month and in each of the last three."""
    first = datetime.date(year, month, 1)
    members = [
        m
        for m in Member.objects.on_roll(branch, first).order_by("name_sort", "pk")
        if m.category_in(first) == Category.C
    ]
    window = months_back(year, month, 3)
    reported = set(
        MigrantReport.objects.filter(member__in=members)
        .filter(
            Q(year=window[0][0], month=window[0][1])
            | Q(year=window[1][0], month=window[1][1])
            | Q(year=window[2][0], month=window[2][1])
        )
        .values_list("member_id", "year", "month")
    )
    rows = []
    for m in members:
        seen = [(m.pk, y, mo) in reported for y, mo in window]
        rows.append({"member": m, "this_month": seen[0], "silent_3": not any(seen), "window": seen})
    return rows


# --- Shared notice links --------------------------------------------------------------------------


@transaction.atomic
def share_create(*, notice, by) -> NoticeShare:
    from evaluations.models import Notice

    require_secretary(by, notice.branch)
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError("只有公示中的公示才能分享到微信群。")
    active = NoticeShare.objects.filter(notice=notice, revoked_at__isnull=True).first()
    if active:
        return active
    try:
        with transaction.atomic():
            return NoticeShare.objects.create(notice=notice, created_by=by)
    except IntegrityError:
        return NoticeShare.objects.get(notice=notice, revoked_at__isnull=True)


@transaction.atomic
def share_revoke(*, notice, by) -> bool:
    require_secretary(by, notice.branch)
    return bool(
        NoticeShare.objects.filter(notice=notice, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    )
