"""The demo's posts and self-service (DOMAIN §8): what the demo secretary, a member on a phone and
the township official find when they open 设岗定责, the member's own page and 流动党员报到.

In each demo branch with a secretary login (东阳涧村, 官桥村), through the posts and scoring
services as that secretary:

* the county's starter posts copied, two of them for two holders, one place left open;
* members without office (B 类) holding them — most confirmed, one still waiting for the
  committee — each confirmed holder with this year's pledge;
* the ratings of the quarters already closed. A closed month is history (DOMAIN §3.7), so
  ``rating_save`` rightly refuses them; the rows are written as the committee recorded them
  then, and agree with the ledger demo.year wrote: 履职良好 where the holder's G01 of that
  quarter was approved (the rating keeps it as its proposal), 未履职 where a K08 was recorded,
  otherwise 基本履职 (which proposes nothing);
* PINs for a few members, and their own declarations (本人申报, ``posts.services.self_declare``,
  as the card page sends them) in this month: some waiting, some approved, one returned with
  the committee's reason. Every demo PIN is :data:`DEMO_PIN`; seed_demo prints it with the name
  of 东阳涧村's first holder, so a tester can try the member's page.

In every branch of the demo township (东村镇): the migrant members' (C 类) report-in for this
month and the two before, a few of them silent for all three (what K07 is decided on).
"""

from __future__ import annotations

import datetime
import functools
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from demo.county import BuiltCounty, county_township_name
from members.card_links import card_link_for
from members.models import Category, Member, Official
from posts import services as posts
from posts.models import MemberPin, MigrantReport, Post, PostRating, PostTemplate
from scoring import services as scoring
from scoring.models import Declaration, PointsEntry, RuleItem

__all__ = ["DEMO_PIN", "PostsResult", "seed_posts"]

DEMO_BRANCHES = ("东阳涧村", "官桥村")  # the branches with a demo secretary login
DEMO_TOWNSHIP = "东村镇"  # the demo township official's
DEMO_PIN = "246810"  # demo only: every demo member's PIN, printed by seed_demo
TWO_HOLDERS = ("环境卫生监督岗", "平安建设巡逻岗")
PINS_PER_BRANCH = 6
SELF_DECLARED = 5  # per branch, this month
SILENT_SHARE = 0.2  # of migrant members: no report-in for three months

PLEDGES = (
    "每月至少参加一次村里的义务劳动，带头做好房前屋后环境卫生。",
    "每季度入户宣讲政策不少于 10 户，群众有疑问及时向支部反映。",
    "发现邻里矛盾第一时间上门劝解，小事不出组，大事不出村。",
    "结对帮扶 2 户困难群众，农忙时帮助缺劳力户春耕秋收。",
    "每周参加一次夜间巡逻，做好防火防盗宣传。",
    "带头发展小杂粮种植，每年带动 3 户农户增收。",
)
RATING_NOTES = {
    PostRating.Rating.GOOD: "按承诺履职，群众反映好。",
    PostRating.Rating.BASIC: "能履行岗位职责，主动性有待加强。",
    PostRating.Rating.FAILED: "本季度未按承诺履职，支委会已谈话提醒。",
}
SELF_TEXTS = (
    "帮邻居家老人收玉米，送到家里",
    "参加村里组织的义务清扫，清理村道垃圾",
    "给村里的留守儿童辅导作业",
    "在新时代文明实践站参加志愿服务",
    "帮五保户挑水、打扫院子",
)
RETURN_REASON = "照片看不清，请补一张现场照片后重新申报。"
PLACES = (
    "太原市小店区",
    "吕梁市离石区",
    "北京市朝阳区",
    "鄂尔多斯市东胜区",
    "忻州市忻府区",
    "西安市雁塔区",
    "天津市滨海新区",
)
DOINGS = (
    "在建筑工地务工，每月参加所在地流动党员活动",
    "开网约车，按时交纳党费",
    "在餐馆打工，参加了社区组织的志愿服务",
    "在物流园当装卸工",
    "在工厂上班，向流入地党组织报到",
)


@dataclass
class PostsResult:
    posts: int = 0
    holders: int = 0
    ratings: int = 0
    pins: int = 0
    declarations: dict[str, int] = field(default_factory=dict)
    reports: int = 0
    silent: int = 0
    demo_member: Member | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        declared = ", ".join(f"{n} {status}" for status, n in sorted(self.declarations.items()))
        return (
            f"{self.posts} posts, {self.holders} holders, {self.ratings} quarterly ratings, "
            f"{self.pins} PINs, own declarations ({declared or 'none'}), "
            f"{self.reports} migrant reports-in ({self.silent} silent for 3 months) "
            f"in {self.seconds:.1f} s"
        )


def seed_posts(built: BuiltCounty, *, rng: random.Random, today: datetime.date) -> PostsResult:
    """Write the posts, holders, pledges, ratings, PINs, own declarations and reports-in of
    ``built`` (run after demo.year and demo.assessments; one transaction)."""
    started = time.perf_counter()
    result = PostsResult()
    with transaction.atomic():
        for name in DEMO_BRANCHES:
            branch = built.branch(name, DEMO_TOWNSHIP)
            secretary = (
                Official.objects.filter(role=Official.Role.SECRETARY, branch=branch)
                .select_related("user")
                .first()
            )
            if secretary is None:  # the demo logins were not created (an existing database)
                continue
            _branch_posts(result, rng, branch, secretary.user, today)
        township = built.townships.get(_township_name(built))
        if township is not None:
            _reports(result, rng, township, today)
    result.seconds = time.perf_counter() - started
    return result


def _township_name(built: BuiltCounty) -> str:
    return county_township_name(DEMO_TOWNSHIP, built.plan.county)


def _branch_posts(result, rng, branch, secretary, today) -> None:
    year = today.year
    first = today.replace(day=1)
    posts.posts_copy_templates(
        branch=branch, templates=PostTemplate.objects.filter(active=True), by=secretary
    )
    branch_posts = list(Post.objects.filter(branch=branch).order_by("pk"))
    for post in branch_posts:
        if post.name in TWO_HOLDERS:
            posts.post_update(
                post=post, name=post.name, duties=post.duties, holders=2, active=True, by=secretary
            )
    result.posts += len(branch_posts)

    on_roll = [
        m
        for m in Member.objects.on_roll(branch, first).order_by("name_sort", "pk")
        if m.status == Member.Status.ACTIVE
    ]
    members = [m for m in on_roll if m.category_in(first) == Category.B]
    # Those demo.year gave an approved G01 (its post holders) first, then the others.
    g01 = _approved(branch, year, "G01")
    members.sort(key=lambda m: (not any(k[0] == m.pk for k in g01), m.name_sort, m.pk))
    places = [p for p in branch_posts for _ in range(2 if p.name in TWO_HOLDERS else 1)]
    places = places[:-1]  # one place left open, for a tester to claim
    holdings = []
    for post, member in zip(places, members, strict=False):
        holdings.append(
            posts.holding_create(
                post=post, member=member, year=year, assigned=rng.random() < 0.3, by=secretary
            )
        )
    result.holders += len(holdings)
    # All confirmed but the last (the committee has not met on it yet).
    for holding in holdings[:-1]:
        posts.holding_confirm(holding=holding, by=secretary)
        posts.pledge_save(holding=holding, text=rng.choice(PLEDGES), by=secretary)
    result.ratings += _ratings(rng, holdings[:-1], g01, branch, year, today, secretary)

    # PINs and own declarations. Every demo PIN is DEMO_PIN, hashed once: the password hasher
    # is slow by design (~0.3 s a hash), and a tester needs to know the PIN anyway. The rows are
    # what posts.services.pin_issue writes, with that hash.
    holders = {h.member_id for h in holdings}
    pinned = [h.member for h in holdings[:2]] + [m for m in on_roll if m.pk not in holders]
    pinned = pinned[:PINS_PER_BRANCH]
    hashed = _demo_pin_hash()
    MemberPin.objects.bulk_create(
        MemberPin(member=member, pin_hash=hashed, issued_by=secretary) for member in pinned
    )
    for member in pinned:
        card_link_for(member=member, by=secretary)
    result.pins += len(pinned)
    if branch.name == DEMO_BRANCHES[0] and holdings and result.demo_member is None:
        result.demo_member = holdings[0].member
    _own_declarations(result, rng, branch, pinned, secretary, today)


@functools.cache
def _demo_pin_hash() -> str:
    return make_password(DEMO_PIN)


def _approved(branch, year: int, code: str) -> dict[tuple[int, int], Declaration]:
    """(member, month) → the approved declaration of ``code`` in the branch's year."""
    return {
        (d.member_id, d.month): d
        for d in Declaration.objects.filter(
            branch=branch, year=year, item__code=code, status=Declaration.Status.APPROVED
        ).order_by("pk")
    }


def _ratings(rng, holdings, g01, branch, year, today, secretary) -> int:
    """The closed quarters' ratings, agreeing with the ledger (see the module doc)."""
    k08 = set(
        PointsEntry.objects.filter(branch=branch, year=year, item__code="K08").values_list(
            "member_id", "month"
        )
    )
    closed = set()
    for quarter in (1, 2, 3, 4):
        month = posts.quarter_last_month(quarter)
        view = scoring.month_view(branch=branch, year=year, month=month)
        if view is not None and view.pk and not view.is_open:
            closed.add(month)
    used: set[int] = set()
    rows = []
    for holding in holdings:
        for quarter in (1, 2, 3, 4):
            month = posts.quarter_last_month(quarter)
            if month not in closed:
                continue
            proposal = g01.get((holding.member_id, month))
            if proposal is not None and proposal.pk not in used:
                rating = PostRating.Rating.GOOD
                used.add(proposal.pk)
            elif (holding.member_id, month) in k08:
                rating, proposal = PostRating.Rating.FAILED, None
            else:
                rating, proposal = PostRating.Rating.BASIC, None
            good = rating == PostRating.Rating.GOOD
            rows.append(
                PostRating(
                    holding=holding,
                    quarter=quarter,
                    rating=rating,
                    deeds=rng.randint(1, 4) if good else rng.randint(0, 1),
                    disputes=rng.randint(0, 2) if good else 0,
                    audience=rng.choice((0, 15, 20, 30, 45)) if good else 0,
                    note=RATING_NOTES[rating],
                    declaration=proposal,
                    rated_by=secretary,
                    rated_at=_meeting_time(year, month, today),
                )
            )
    PostRating.objects.bulk_create(rows)
    return len(rows)


def _meeting_time(year: int, month: int, today: datetime.date) -> datetime.datetime:
    day = min(datetime.date(year, month, 28), today)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def _own_declarations(result, rng, branch, members, secretary, today) -> None:
    month = scoring.month_view(branch=branch, year=today.year, month=today.month)
    if month is None or (month.pk and not month.is_open):
        return
    items = list(
        scoring.active_items(branch=branch, rule_set=month.rule_set, kind=RuleItem.Kind.BONUS)
        .filter(points_min=F("points_max"), code__in=("G02", "G04", "G07"))
        .order_by("code")  # fixed-points items: a range item would need the points typed
    )
    if not items:
        return
    outcomes = ["submitted", "approved", "returned", "approved"] + ["submitted"] * SELF_DECLARED
    for n, member in enumerate(members[:SELF_DECLARED]):
        day = today.replace(day=rng.randint(1, today.day))
        try:
            declaration = posts.self_declare(
                member=member,
                item=items[n % len(items)],
                occurred_on=day,
                description=SELF_TEXTS[n % len(SELF_TEXTS)],
            )
        except ValidationError:  # e.g. the member is not on the roll that day
            continue
        outcome = outcomes[n]
        if outcome == "approved":
            scoring.declaration_approve(declaration=declaration, by=secretary)
        elif outcome == "returned":
            scoring.declaration_return(declaration=declaration, by=secretary, reason=RETURN_REASON)
        result.declarations[outcome] = result.declarations.get(outcome, 0) + 1


def _reports(result, rng, township, today) -> None:
    months = posts.months_back(today.year, today.month, 3)
    rows = []
    for branch in township.branches.order_by("position", "pk"):
        first = today.replace(day=1)
        migrants = [
            m
            for m in Member.objects.on_roll(branch, first).order_by("name_sort", "pk")
            if m.category_in(first) == Category.C
        ]
        for member in migrants:
            if rng.random() < SILENT_SHARE:
                result.silent += 1
                continue
            place = rng.choice(PLACES)
            for year, month in months:
                if rng.random() < 0.2:
                    continue  # missed a month (or has not reported this one yet)
                rows.append(
                    MigrantReport(
                        member=member,
                        branch=branch,
                        year=year,
                        month=month,
                        place=place,
                        doing=rng.choice(DOINGS),
                        reported_at=_meeting_time(year, month, today),
                    )
                )
    MigrantReport.objects.bulk_create(rows)
    result.reports += len(rows)
