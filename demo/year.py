"""A demo year in progress for a demo county (see demo.county): months, declarations, ledger.

:func:`seed_year_activity` gives a county built by :func:`demo.county.build_county` the year
the workflow services (scoring.services) would have produced from January to ``today``:

* the default rule set of the year, loaded and published if none is in force;
* a :class:`~scoring.models.BranchMonth` for every branch and month up to today's month: past
  months closed at a committee meeting in the first ten days of the next month (with their
  open→closed log row), the current month open, and 2–3 "late" branches whose previous month is
  still open with declarations waiting;
* about one declaration per member per month on the roll (more for category A, fewer for C and
  D): in closed months ~92% approved (a few adjusted down with a reason) and ~8% returned, each
  with its log rows and, if approved, its BONUS ledger entry; in open months a mix of waiting and
  approved;
* deductions (~0.3 per member-month, skewed to a minority, respecting the items' categories),
  a clearing item for about 1 member in 500 and a handful of corrections against closed months.

It is fast because it writes with ``bulk_create`` (batches of :data:`demo.county.BATCH_SIZE`)
instead of calling the services row by row. The committee's decisions on the declarations are
written by the services' own bulk path (:func:`scoring.services.review_many`: status changes, log
rows, ledger entries); the other rows are the ones the services write, with the same validations
applied here (roll months, categories, item ranges, dates not after today). The
timestamps (``created_at`` / ``at`` / ``closed_at``) are those of the simulated actions — a
declaration typed in a few days after the event, reviewed at the committee meeting, … — rather
than the moment of seeding.

The work is split like demo.county: :func:`plan_year_activity` draws unsaved model instances
from the random stream (reads the rule items, writes nothing), and :func:`seed_year_activity`
writes them in one transaction.
"""

from __future__ import annotations

import datetime
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.transitions import Step, record_created_many
from demo.county import BATCH_SIZE, BuiltCounty, PlannedMember
from members.models import Branch, Member, Official
from scoring import services, versions
from scoring.models import (
    BranchAdoption,
    BranchMonth,
    BranchMonthLog,
    Declaration,
    PointsEntry,
    RuleItem,
    RuleSet,
)

__all__ = [
    "ActivityResult",
    "YearActivity",
    "fallback_user",
    "plan_year_activity",
    "seed_year_activity",
]

# --- volumes -------------------------------------------------------------------------------

DECLARATIONS_PER_MONTH = 1.0  # per member-month on the roll, on average (≈ 12 a year)
DEDUCTIONS_PER_MONTH = 0.3  # per member-month on the roll, on average
CLEARING_SHARE = 1 / 500  # members with a clearing item
CORRECTIONS_PER_MEMBER = 20 / 4860  # ≈ 20 in the county
RETURNED_SHARE = 0.08  # of the declarations reviewed at a meeting
ADJUSTED_SHARE = 0.05  # of the approved ones: adjusted down (only range items can be)
LATE_APPROVED_SHARE = 0.6  # reviewed already in a late branch's open month
LATE_WAITING = 3  # at least this many declarations wait in a late branch's open month
CURRENT_APPROVED_SHARE = 0.4  # reviewed already in the current month
MAX_DECLARATIONS = 4  # per member-month
MAX_DEDUCTIONS = 3  # per member-month

# Declarations: activity by the category held that month (C are away, D old or sick).
DECLARATION_FACTOR = {"A": 1.7, "B": 1.0, "C": 0.4, "D": 0.45}
# G01 (a post, per quarter) is declared in the quarter's last month by the post holders.
POST_HOLDER_SHARE = {"A": 0.9, "B": 0.2, "C": 0.0, "D": 0.0}
POST_DECLARED = 0.85
QUARTER_ENDS = (3, 6, 9, 12)
ITEM_WEIGHTS = {
    "A": {"G02": 28, "G03": 26, "G04": 12, "G05": 12, "G06": 9, "G07": 8, "G08": 2, "G09": 3},
    "B": {"G02": 42, "G03": 24, "G04": 5, "G05": 9, "G06": 10, "G07": 5, "G08": 3, "G09": 2},
    "C": {"G02": 30, "G05": 34, "G07": 28, "G08": 5, "G09": 3},
    "D": {"G02": 45, "G03": 6, "G04": 18, "G07": 26, "G08": 5},
}
# Points claimed for range items (value: weight); fixed items claim their value.
POINTS_CLAIMED = {
    "G03": {2: 30, 3: 25, 4: 15, 5: 15, 6: 6, 8: 5, 10: 4},
    "G05": {2: 35, 3: 35, 4: 15, 5: 15},
    "G06": {3: 35, 4: 20, 5: 25, 6: 8, 8: 7, 10: 5},
    "G09": {5: 70, 8: 25, 10: 5},  # township / county / city level
}

# Deductions: a propensity per member (Gamma, shape 0.5: most rarely, a few often) times a
# factor by category; open months have fewer (the committee has not met yet).
DEDUCTION_SHAPE = 0.5
DEDUCTION_FACTOR = {"A": 0.7, "B": 1.0, "C": 1.3, "D": 0.35}
LATE_DEDUCTION_FACTOR = 0.5
CURRENT_DEDUCTION_FACTOR = 0.3
DEDUCTION_WEIGHTS = {
    "A": {
        "K01": 16, "K02": 24, "K03": 6, "K04": 14, "K05": 14, "K06": 4, "K08": 10,
        "K09": 1, "K10": 1.5, "K11": 2, "K12": 0.5, "K13": 1, "K14": 0.5, "K15": 0.5,
    },
    "B": {
        "K01": 18, "K02": 30, "K03": 5, "K04": 22, "K05": 15, "K06": 4, "K08": 2,
        "K09": 1, "K10": 0.3, "K11": 1.5, "K12": 0.6, "K13": 0.8, "K14": 0.6, "K15": 0.3,
    },
    "C": {"K02": 6, "K04": 36, "K05": 6, "K07": 40, "K09": 0.5, "K11": 1},
    "D": {"K04": 40, "K06": 3, "K09": 1, "K11": 6, "K12": 4, "K13": 2, "K14": 2, "K15": 0.5},
}  # fmt: skip
ONLY_FOR_C = {"K07"}  # 流动党员 … per quarter
ONCE_PER_QUARTER = {"K07"}
CLEARING_WEIGHTS = {"Q1": 3, "Q2": 2, "Q3": 1, "Q4": 3, "Q5": 3, "Q6": 1}

# --- texts (Chinese, as a secretary would type them) ---------------------------------------

SPRING, SUMMER, FLOOD = {3, 4, 5}, {6, 7, 8}, {6, 7, 8, 9}
WINTER, FIRE = {12, 1, 2}, {1, 2, 3, 4, 5, 10, 11, 12}
ANY: frozenset[int] = frozenset(range(1, 13))
QUARTER_NAMES = "一二三四"

# code -> ((months when it fits, text), …); {m} = month, {q} = quarter, {post} = G01's post.
DECLARATION_TEXTS: dict[str, tuple[tuple[Sequence[int], str], ...]] = {
    "G01": ((ANY, "认领{post}，{q}季度履职良好"),),
    "G02": (
        (SPRING, "参加村里组织的义务植树"),
        (ANY, "参加义务劳动，清扫村道和文化广场"),
        (ANY, "参加新时代文明实践站志愿服务"),
        (ANY, "为村里五保户义务打扫院落、挑水"),
        (WINTER, "参加冬季清雪义务劳动，清理村主干道积雪"),
        ({4, 5}, "参加春耕志愿服务，帮助缺劳力户播种"),
        ({9, 10}, "参加秋收志愿服务，帮助留守老人收玉米"),
        (ANY, "参加{m}月主题党日志愿服务"),
        ({9, 10, 11, 12}, "协助村里开展城乡居民医保缴费宣传"),
        (ANY, "参与村卫生室义诊活动志愿服务"),
        (SUMMER, "参加村里组织的河道垃圾清理"),
    ),
    "G03": (
        (ANY, "参与人居环境整治，清理村道垃圾"),
        (ANY, "参与“清化收”工作，协助清理村集体经济合同"),
        (ANY, "协助开展村集体资产清查登记"),
        (ANY, "参与拆除残垣断壁、整治乱堆乱放"),
        (ANY, "协助开展农村改厕入户摸底"),
        ({3, 4, 10, 11}, "参与秸秆禁烧巡查"),
        ({4, 5, 6}, "参与高标准农田建设协调工作"),
        ({11, 12, 1}, "协助开展冬季清洁取暖入户核查"),
    ),
    "G04": (
        (ANY, "调解邻里宅基地纠纷"),
        (ANY, "调解两户因浇地用水引发的矛盾"),
        (ANY, "调解一起家庭赡养纠纷"),
        (ANY, "化解村民之间的土地地界纠纷"),
        (ANY, "劝解因修路占地引发的矛盾"),
    ),
    "G05": (
        (ANY, "帮扶脱贫监测户发展马铃薯种植"),
        (ANY, "带领3户群众发展肉牛养殖"),
        (ANY, "帮助困难户联系外出务工岗位"),
        (ANY, "带动村民种植中药材（黄芪）"),
        (ANY, "定期看望留守老人，为其代购生活用品"),
        (ANY, "帮助残疾村民申请临时救助"),
    ),
    "G06": (
        (FLOOD, "参与防汛值守"),
        (FLOOD, "汛期巡查河道，协助转移低洼地带群众"),
        (FLOOD, "暴雨后参与抢修村道"),
        (FIRE, "参与森林防火巡山值守"),
        ({1, 2}, "春节期间参与森林防火检查站值守"),
        ({4}, "清明节期间参与森林防火值守"),
        (WINTER, "参与冬季燃煤取暖安全排查"),
        (ANY, "参与扑救村里突发火情"),
    ),
    "G07": (
        (ANY, "提出修缮村文化广场的建议被村委会采纳"),
        (ANY, "建议设置垃圾集中收集点被采纳"),
        (ANY, "提出发展村集体经济的建议被采纳"),
        (ANY, "提出增设村道路灯的建议被采纳"),
        (ANY, "提出修订村规民约的建议被采纳"),
    ),
    "G08": (
        (ANY, "拾金不昧，归还村民遗失的钱包"),
        (ANY, "救助落水儿童"),
        (ANY, "帮助走失老人安全回家"),
        (ANY, "协助扑灭邻居家柴草火情"),
        (ANY, "雨夜护送突发疾病的村民就医"),
    ),
}
# Members away (category C) do what they can from where they live.
DECLARATION_TEXTS_C: dict[str, tuple[tuple[Sequence[int], str], ...]] = {
    "G02": ((ANY, "在务工地参加社区志愿服务"), (ANY, "在务工地参加流动党员志愿服务活动")),
    "G05": ((ANY, "在务工地帮助同村村民找到工作"), (ANY, "引荐客商收购村里的马铃薯")),
    "G07": (
        (ANY, "通过微信向支部提出发展乡村旅游的建议被采纳"),
        (ANY, "提出组织外出务工人员技能培训的建议被采纳"),
    ),
}
G09_MONTHS = {1, 6, 7, 12}  # commendations: New Year, 七一
G09_TEXTS = {  # by level (points)
    5: ("被乡镇党委评为优秀共产党员", "获乡镇“好人好事”表彰"),
    8: ("被县委评为优秀共产党员", "获县级“文明家庭”表彰"),
    10: ("获市级“最美党员”称号",),
}
POSTS = (
    "政策宣传岗",
    "环境卫生监督岗",
    "矛盾纠纷调解岗",
    "产业发展指导岗",
    "治安巡逻岗",
    "关爱帮扶岗",
    "森林防火监督岗",
)
ADJUST_REASONS = {
    "G03": ("按实际参与天数认定", "工作量较小，支委会研究酌情认定"),
    "G05": ("帮扶成效尚待观察，酌情认定", "按实际带动户数认定"),
    "G06": ("值守时长较短，酌情认定", "按实际参与天数认定"),
    "G09": ("经核实为乡镇级表彰，按乡镇级认定",),
}
RETURN_REASONS = (
    "无现场照片或证明人，请补充材料后重新申报",
    "该项工作已由村委会统一计酬，不重复加分",
    "所述事项不属于该项目加分范围",
    "与本月已通过的申报重复",
    "时间、地点等情况写得不清楚，请补充后重新申报",
)
DEDUCTION_TEXTS: dict[str, tuple[tuple[Sequence[int], str], ...]] = {
    "K01": (
        (ANY, "无故缺席{m}月党员大会"),
        (ANY, "无故未参加{m}月党课"),
        (ANY, "无故缺席{m}月党小组会"),
    ),
    "K02": ((ANY, "无故缺席{m}月主题党日"),),
    "K03": (({1, 2, 12}, "无故未参加年度组织生活会"), ({1, 2, 12}, "无故未参加民主评议党员大会")),
    "K04": ((ANY, "{m}月党费未按时足额交纳"),),
    "K05": ((ANY, "未按要求参加{m}月集中学习"), (WINTER, "未按要求参加党员冬训集中学习")),
    "K06": (
        (FLOOD, "拒不参加村里安排的防汛值守任务"),
        (ANY, "推诿村里安排的人居环境整治任务"),
        (FIRE, "拒绝承担森林防火巡查任务"),
    ),
    "K07": ((ANY, "外出期间{q}季度未主动与支部联系"),),
    "K08": ((ANY, "未履行认领岗位职责，环境卫生监督不到位"), (ANY, "未兑现年初公开承诺事项")),
    "K09": ((ANY, "在村民微信群散布不当言论"),),
    "K10": ((ANY, "村民小组长推选中为他人拉票"), (ANY, "村级事务议事中不按程序办事")),
    "K11": (
        (ANY, "为子女婚事大操大办，违反村规民约"),
        (ANY, "违反村规民约乱倒建筑垃圾，经劝阻不改"),
    ),
    "K12": ((ANY, "参与封建迷信活动，经教育不改"),),
    "K13": ((ANY, "未经审批在耕地上违章建房"), (ANY, "乱占耕地堆放杂物，经劝阻不改")),
    "K14": ((ANY, "越级上访，经教育不改"),),
    "K15": ((ANY, "受到党内警告处分"),),
}
CLEARING_TEXTS = {
    "Q1": ("因犯交通肇事罪被判处有期徒刑", "因故意伤害罪被判处拘役"),
    "Q2": ("受到留党察看一年处分", "受到撤销党内职务处分"),
    "Q3": ("参加非法宗教聚会活动，经教育仍不悔改",),
    "Q4": ("参与赌博，被公安机关查处",),
    "Q5": ("无正当理由连续6个月不参加组织生活、不交纳党费",),
    "Q6": ("煽动部分村民围堵乡政府，造成恶劣影响",),
}
Q5_MONTHS = 6  # on the roll at least this many months before the month Q5 is recorded
# Corrections: a deduction withdrawn after checking (code -> what it was about).
WITHDRAWN = {"K01": "党员大会", "K02": "主题党日", "K04": "党费", "K05": "集中学习"}
MISSED_BONUS = (("G02", 1, "参加义务劳动"), ("G04", 2, "调解纠纷"), ("G07", 2, "建议被采纳"))

MEETING_TIMES = ((9, 0), (9, 30), (10, 0), (14, 30), (15, 0), (19, 30), (20, 0))


# --- results -------------------------------------------------------------------------------


@dataclass
class YearActivity:
    """The unsaved rows of a demo year, in the order they are written (FKs by object)."""

    year: int
    rule_set: RuleSet
    branch_months: list[BranchMonth] = field(default_factory=list)
    month_logs: list[BranchMonthLog] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    # The ledger entries the committee writes directly (clearing items, deductions,
    # corrections); the approved declarations' entries are written by their review.
    entries: list[PointsEntry] = field(default_factory=list)
    late_branches: list[Branch] = field(default_factory=list)
    # id(declaration) -> the committee's decision, for scoring.services.review_many
    reviews: dict[int, services.Review] = field(default_factory=dict, repr=False)

    def review_of(self, declaration: Declaration) -> services.Review | None:
        return self.reviews.get(id(declaration))

    def approved(self, declaration: Declaration) -> bool:
        review = self.review_of(declaration)
        return review is not None and review.approve


@dataclass
class ActivityResult:
    year: int
    rule_set: RuleSet
    rule_set_created: bool
    declarations: Counter[str]  # by status
    entries: Counter[str]  # by kind
    months_closed: int
    months_open: int
    late_branches: list[Branch]
    seconds: float

    @property
    def declaration_count(self) -> int:
        return sum(self.declarations.values())

    @property
    def entry_count(self) -> int:
        return sum(self.entries.values())

    def summary(self) -> str:
        d, e = self.declarations, self.entries
        late = "、".join(b.name for b in self.late_branches) or "none"
        return (
            f"{self.declaration_count:,} declarations ({d['approved']:,} approved, "
            f"{d['returned']:,} returned, {d['submitted']:,} waiting); ledger entries: "
            f"{e['bonus']:,} bonus, {e['deduction']:,} deduction, {e['clearing']:,} clearing, "
            f"{e['correction']:,} correction; branch-months: {self.months_closed:,} closed, "
            f"{self.months_open:,} open (late: {late}); {self.seconds:.1f} s"
        )


# --- helpers -------------------------------------------------------------------------------


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _text(rng: random.Random, texts, month: int) -> str:
    fitting = [t for months, t in texts if month in months]
    return rng.choice(fitting or [t for _, t in texts])


def _last_day(year: int, month: int) -> datetime.date:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def _next_month(year: int, month: int) -> datetime.date:
    return datetime.date(year + month // 12, month % 12 + 1, 1)


def _quarter(month: int) -> int:
    return (month - 1) // 3 + 1


class _Clock:
    """Aware datetimes in the project's time zone, never later than ``cap``."""

    def __init__(self, cap: datetime.datetime):
        self.tz = timezone.get_current_timezone()
        self.cap = cap

    def at(self, day: datetime.date, minutes: int) -> datetime.datetime:
        moment = datetime.datetime.combine(day, datetime.time(), tzinfo=self.tz)
        return min(moment + datetime.timedelta(minutes=minutes), self.cap)

    def daytime(self, rng: random.Random, day: datetime.date) -> datetime.datetime:
        return self.at(day, rng.randint(8 * 60, 21 * 60 + 59))

    def after(self, rng: random.Random, moment: datetime.datetime, lo: int, hi: int):
        """A moment ``lo``..``hi`` minutes after ``moment`` (not after the cap, not before)."""
        later = moment + datetime.timedelta(minutes=rng.randint(lo, hi))
        return max(moment, min(later, self.cap))


@dataclass
class _MonthState:
    branch_month: BranchMonth
    clerk: object  # User
    meeting: datetime.datetime | None = None  # committee meeting start (closed months)

    @property
    def closed(self) -> bool:
        return self.branch_month.status == BranchMonth.Status.CLOSED


@dataclass
class _Person:
    member: Member
    plan: PlannedMember
    branch: Branch
    months: list[int]  # months on the roll (this year, up to today's month)
    category: dict[int, str]  # month -> category held
    last_day: dict[int, datetime.date]  # month -> last possible event day (today, leave date)
    activity: float = 1.0
    propensity: float = 1.0
    post: str = ""
    cleared_in: int | None = None

    @property
    def active_months(self) -> list[int]:
        """Months with declarations and deductions: none from the month of a clearing item."""
        if self.cleared_in is None:
            return self.months
        return [m for m in self.months if m < self.cleared_in]


def _people(built: BuiltCounty, year: int, today: datetime.date) -> list[_Person]:
    planned = [(b, pm) for b in built.plan.branches for pm in b.members]
    last_month = today.month if today.year == year else 12
    people = []
    for member, (planned_branch, pm) in zip(built.members, planned, strict=True):
        branch = built.branches[(planned_branch.township, planned_branch.name)]
        first = pm.start.month if pm.start.year == year else 1
        end = pm.end
        last = last_month if end is None else min(last_month, end.month)
        months = list(range(first, last + 1))
        category: dict[int, str] = {}
        for month in months:
            held = [c for start, c, _ in pm.categories if start <= datetime.date(year, month, 1)]
            category[month] = held[-1]
        last_day = {}
        for month in months:
            day = _last_day(year, month)
            if (today.year, today.month) == (year, month):
                day = min(day, today)
            if pm.leave and (pm.leave[1].year, pm.leave[1].month) == (year, month):
                day = min(day, pm.leave[1])
            last_day[month] = day
        people.append(_Person(member, pm, branch, months, category, last_day))
    return people


def fallback_user(by_user=None):
    """``by_user``, else the demo "county" user, else a non-login "system" user (created)."""
    if by_user is not None:
        return by_user
    User = get_user_model()
    user = User.objects.filter(username="county").first()
    if user is not None:
        return user
    user, created = User.objects.get_or_create(
        username="system", defaults={"first_name": "系统", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _clerks(branches: Sequence[Branch], fallback) -> dict[int, object]:
    """The user who enters and reviews for each branch: its secretary if any, else fallback."""
    clerks = {b.pk: fallback for b in branches}
    secretaries = (
        Official.objects.filter(
            role=Official.Role.SECRETARY, branch__in=[b.pk for b in branches], user__is_active=True
        )
        .select_related("user")
        .order_by("-pk")  # the first one wins below
    )
    for official in secretaries:
        clerks[official.branch_id] = official.user
    return clerks


def _default_cap(today: datetime.date) -> datetime.datetime:
    if today == timezone.localdate():
        return timezone.now()
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(today, datetime.time(18, 0), tzinfo=tz)


# --- the plan ------------------------------------------------------------------------------


def plan_year_activity(
    built: BuiltCounty,
    *,
    rng: random.Random,
    today: datetime.date,
    rule_set: RuleSet,
    clerks: dict[int, object],
    now: datetime.datetime | None = None,
) -> YearActivity:
    """Draw the year's rows for ``built`` (unsaved). Reads the rule items; writes nothing.

    ``clerks`` maps every branch pk to the user who enters, reviews and closes for it. No
    timestamp is later than ``now`` (default: now if ``today`` is today, else 18:00 of
    ``today``). Same arguments and random state, same rows.
    """
    year = built.plan.year
    if datetime.date(year, 1, 1) > today:
        raise ValueError(f"the demo year {year} starts after today ({today})")
    clock = _Clock(now or _default_cap(today))
    current = today.month if today.year == year else None
    last_month = current or 12
    plan = YearActivity(year=year, rule_set=rule_set)

    items = {i.code: i for i in rule_set.items.filter(branch__isnull=True)}
    branches = [built.branches[(b.township, b.name)] for b in built.plan.branches]
    disabled: dict[int, set[str]] = defaultdict(set)
    for branch_id, code in BranchAdoption.disabled_items.through.objects.filter(
        branchadoption__rule_set=rule_set, branchadoption__branch__in=[b.pk for b in branches]
    ).values_list("branchadoption__branch_id", "ruleitem__code"):
        disabled[branch_id].add(code)

    # Months: closed at a meeting early in the next month, except the current one and the
    # previous month of a few late branches.
    people = _people(built, year, today)
    late_month = current - 1 if current and current >= 2 else None
    if late_month:
        on_roll = {p.branch.pk for p in people if late_month in p.months}
        candidates = [b for b in branches if b.pk in on_roll]
        plan.late_branches = rng.sample(candidates, min(len(candidates), rng.choice((2, 3))))
    late_ids = {b.pk for b in plan.late_branches}
    months: dict[tuple[int, int], _MonthState] = {}
    for branch in branches:
        clerk = clerks[branch.pk]
        for month in range(1, last_month + 1):
            branch_month = BranchMonth(
                branch=branch, year=year, month=month, rule_set=rule_set, closed_by=None
            )
            state = _MonthState(branch_month, clerk)
            is_open = month == current or (month == late_month and branch.pk in late_ids)
            if not is_open:
                following = _next_month(year, month)
                meeting_date = following.replace(day=rng.randint(1, 10))
                if meeting_date > today:
                    meeting_date = following.replace(day=rng.randint(1, today.day))
                hour, minute = rng.choice(MEETING_TIMES)
                state.meeting = clock.at(meeting_date, hour * 60 + minute)
                closed_at = clock.after(rng, state.meeting, 60, 150)
                branch_month.status = BranchMonth.Status.CLOSED
                branch_month.meeting_date = meeting_date
                branch_month.closed_at = closed_at
                branch_month.closed_by = clerk
                plan.month_logs.append(
                    BranchMonthLog(
                        branch_month=branch_month,
                        from_status=BranchMonth.Status.OPEN,
                        to_status=BranchMonth.Status.CLOSED,
                        reason=f"支委会 {meeting_date:%Y-%m-%d}",
                        by=clerk,
                        at=closed_at,
                    )
                )
            plan.branch_months.append(branch_month)
            months[(branch.pk, month)] = state

    for person in people:
        person.activity = rng.lognormvariate(-0.18, 0.6)  # mean 1
        person.propensity = rng.gammavariate(DEDUCTION_SHAPE, 1 / DEDUCTION_SHAPE)  # mean 1
        first = person.category[person.months[0]] if person.months else "B"
        if rng.random() < POST_HOLDER_SHARE[first]:
            person.post = rng.choice(POSTS)

    _plan_clearing(plan, rng, people, items, months, clock)
    _plan_declarations(plan, rng, people, items, disabled, months, clock, today, late_month)
    _plan_deductions(plan, rng, people, items, disabled, months, clock, current, late_month)
    _plan_corrections(plan, rng, people, months, clock)
    return plan


def _event_moment(rng, clock: _Clock, state: _MonthState, day: datetime.date):
    """When a declaration for ``day`` was typed in: the same day or a few days later, before
    the month's meeting if it is closed."""
    typed = clock.daytime(rng, day + datetime.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3))))
    if state.meeting is not None:
        typed = min(typed, state.meeting - datetime.timedelta(minutes=30))
    return max(typed, clock.at(day, 0))


def _committee_moment(rng, clock: _Clock, state: _MonthState, day: datetime.date):
    """When the committee recorded something about ``day``: at the meeting if the month is
    closed, else within a few days."""
    if state.meeting is not None:
        return min(clock.after(rng, state.meeting, 5, 60), state.branch_month.closed_at)
    return clock.after(rng, clock.daytime(rng, day), 0, 3 * 24 * 60)


def _plan_clearing(plan, rng, people, items, months, clock) -> None:
    codes = {c: w for c, w in CLEARING_WEIGHTS.items() if c in items}
    count = max(1, round(len(people) * CLEARING_SHARE)) if people and codes else 0
    candidates = [p for p in people if p.months]
    for person in rng.sample(candidates, min(count, len(candidates))):
        code = _weighted(rng, codes)
        late_enough = [m for m in person.months if m - person.months[0] >= Q5_MONTHS]
        if code == "Q5" and not late_enough:
            code = _weighted(rng, {c: w for c, w in codes.items() if c != "Q5"} or codes)
        month = rng.choice(late_enough if code == "Q5" and late_enough else person.months)
        person.cleared_in = month
        day = person.last_day[month].replace(day=rng.randint(1, person.last_day[month].day))
        state = months[(person.branch.pk, month)]
        plan.entries.append(
            PointsEntry(
                member=person.member,
                branch=person.branch,
                year=plan.year,
                month=month,
                kind=PointsEntry.Kind.CLEARING,
                points=Decimal("0"),
                item=items[code],
                rule_set=plan.rule_set,
                occurred_on=day,
                reason=rng.choice(CLEARING_TEXTS[code]),
                created_by=state.clerk,
                created_at=_committee_moment(rng, clock, state, day),
            )
        )


def _claim(rng, item: RuleItem) -> Decimal:
    if not item.is_range:
        return item.points_min
    weights = {
        v: w
        for v, w in POINTS_CLAIMED.get(item.code, {}).items()
        if item.points_min <= v <= item.points_max
    }
    if not weights:
        return Decimal(rng.randint(math.ceil(item.points_min), math.floor(item.points_max)))
    return Decimal(_weighted(rng, weights))


def _lower_values(item: RuleItem, claimed: Decimal) -> list[Decimal]:
    """The usual values of a range item below ``claimed`` and within its range."""
    values = POINTS_CLAIMED.get(item.code, {}) if item.is_range else {}
    return [Decimal(v) for v in values if item.points_min <= v < claimed]


def _plan_declarations(
    plan, rng, people, items, disabled, months, clock, today, late_month
) -> None:
    # Expected G01 declarations, so that the total stays about one per member-month.
    member_months = sum(len(p.active_months) for p in people)
    weights_total = sum(
        p.activity * DECLARATION_FACTOR[p.category[m]] for p in people for m in p.active_months
    )
    g01 = "G01" in items
    expected_posts = sum(
        POST_DECLARED
        for p in people
        if p.post and g01
        for m in p.active_months
        if m in QUARTER_ENDS and p.category[m] in ("A", "B")
    )
    scale = max(0.0, DECLARATIONS_PER_MONTH * member_months - expected_posts) / (weights_total or 1)
    for person in people:
        branch_off = disabled.get(person.branch.pk, set())
        for month in person.active_months:
            state = months[(person.branch.pk, month)]
            category = person.category[month]
            lam = person.activity * DECLARATION_FACTOR[category] * scale
            if month == today.month and today.year == plan.year:
                lam *= today.day / _last_day(plan.year, month).day
            wanted: list[str] = []
            if (
                g01
                and person.post
                and category in ("A", "B")
                and month in QUARTER_ENDS
                and "G01" not in branch_off
                and rng.random() < POST_DECLARED
            ):
                wanted.append("G01")
            weights = _bonus_weights(items, category, month, branch_off)
            count = min(MAX_DECLARATIONS, _poisson(rng, lam)) if weights else 0
            wanted.extend(_weighted(rng, weights) for _ in range(count))
            for code in wanted:
                _declare(plan, rng, clock, state, person, month, items[code], today)

    # A late branch has a few declarations waiting in its open month: some the members typed
    # in after the others were reviewed, if need be.
    for branch in plan.late_branches:
        late = [d for d in plan.declarations if d.branch is branch and d.month == late_month]
        waiting = sum(1 for d in late if plan.review_of(d) is None)
        for declaration in reversed(late):
            if waiting >= LATE_WAITING:
                break
            if plan.approved(declaration):
                del plan.reviews[id(declaration)]  # it waits after all
                waiting += 1
        members = [p for p in people if p.branch is branch and late_month in p.active_months]
        state = months[(branch.pk, late_month)]
        while members and waiting < LATE_WAITING:
            person = rng.choice(members)
            category = person.category[late_month]
            off = disabled.get(branch.pk, set())
            weights = _bonus_weights(items, category, late_month, off)
            if not weights:
                break
            item = items[_weighted(rng, weights)]
            _declare(plan, rng, clock, state, person, late_month, item, today, waiting=True)
            waiting += 1

    # About ADJUSTED_SHARE of the approved ones were adjusted down (with a reason) by the
    # committee; only a range item claimed above its minimum can be.
    approved = [d for d in plan.declarations if plan.approved(d)]
    adjustable = [d for d in approved if _lower_values(d.item, d.points_claimed)]
    for declaration in rng.sample(
        adjustable, min(len(adjustable), round(len(approved) * ADJUSTED_SHARE))
    ):
        points = rng.choice(_lower_values(declaration.item, declaration.points_claimed))
        reason = rng.choice(ADJUST_REASONS.get(declaration.item.code, ("支委会研究酌情认定",)))
        review = plan.reviews[id(declaration)]
        review.points, review.reason = points, reason


def _bonus_weights(items, category: str, month: int, disabled: set[str]) -> dict[str, float]:
    return {
        code: w
        for code, w in ITEM_WEIGHTS[category].items()
        if code in items
        and code not in disabled
        and items[code].applies_to(category)
        and (code != "G09" or month in G09_MONTHS)
    }


def _declare(plan, rng, clock, state, person, month, item, today, *, waiting=False) -> None:
    """One declaration of ``item`` by ``person`` in ``month``, reviewed as the month goes."""
    last_day = person.last_day[month]
    day = last_day.replace(day=rng.randint(1, last_day.day))
    claimed = _claim(rng, item)
    category = person.category[month]
    texts = DECLARATION_TEXTS_C.get(item.code) if category == "C" else None
    if item.code == "G09":
        description = rng.choice(G09_TEXTS.get(int(claimed), G09_TEXTS[5]))
    else:
        description = _text(rng, texts or DECLARATION_TEXTS[item.code], month).format(
            m=month, q=QUARTER_NAMES[_quarter(month) - 1], post=person.post
        )
    _add_declaration(
        plan, rng, clock, state, person, month, item, day, claimed, description, today, waiting
    )


def _add_declaration(
    plan, rng, clock, state, person, month, item, day, claimed, description, today, waiting
) -> None:
    typed = _event_moment(rng, clock, state, day)
    declaration = Declaration(
        member=person.member,
        branch=person.branch,
        year=plan.year,
        month=month,
        item=item,
        occurred_on=day,
        description=description,
        points_claimed=claimed,
        status=Declaration.Status.SUBMITTED,
        review_reason="",
        photo="",
        created_by=state.clerk,
        created_at=typed,
    )
    plan.declarations.append(declaration)
    if state.closed:
        reviewed = min(clock.after(rng, state.meeting, 5, 60), state.branch_month.closed_at)
        reviewed = max(reviewed, typed)
        if rng.random() < RETURNED_SHARE:
            _review(plan, declaration, state, reviewed, returned=rng.choice(RETURN_REASONS))
            return
    else:
        share = LATE_APPROVED_SHARE if month != today.month else CURRENT_APPROVED_SHARE
        if waiting or day >= today or rng.random() >= share:
            return  # waiting for the committee
        reviewed = clock.after(rng, typed, 60, 3 * 24 * 60)
    _review(plan, declaration, state, reviewed)


def _review(plan, declaration, state, at, *, returned="") -> None:
    """The committee's decision: returned with a reason, or approved at the claimed points
    (an adjustment is made afterwards, see _plan_declarations). Written by the service."""
    plan.reviews[id(declaration)] = services.Review(
        declaration, by=state.clerk, approve=not returned, reason=returned, at=at
    )


def _plan_deductions(
    plan, rng, people, items, disabled, months, clock, current, late_month
) -> None:
    rows = [(p, m) for p in people for m in p.active_months]
    weights_total = sum(p.propensity * DEDUCTION_FACTOR[p.category[m]] for p, m in rows)
    scale = DEDUCTIONS_PER_MONTH * len(rows) / (weights_total or 1)
    for person in people:
        branch_off = disabled.get(person.branch.pk, set())
        quarters_used: set[tuple[str, int]] = set()
        for month in person.active_months:
            state = months[(person.branch.pk, month)]
            category = person.category[month]
            lam = person.propensity * DEDUCTION_FACTOR[category] * scale
            if month == current:
                lam *= CURRENT_DEDUCTION_FACTOR
            elif not state.closed:
                lam *= LATE_DEDUCTION_FACTOR
            count = min(MAX_DEDUCTIONS, _poisson(rng, lam))
            if not count:
                continue
            weights = {
                code: w
                for code, w in DEDUCTION_WEIGHTS[category].items()
                if code in items
                and code not in branch_off
                and items[code].applies_to(category)
                and (code not in ONLY_FOR_C or category == "C")
                and (code, _quarter(month)) not in quarters_used
                and any(month in ms for ms, _ in DEDUCTION_TEXTS[code])
            }
            last_day = person.last_day[month]
            for _ in range(count):
                if not weights:
                    break
                code = _weighted(rng, weights)
                del weights[code]  # one of each item per member-month
                if code in ONCE_PER_QUARTER:
                    quarters_used.add((code, _quarter(month)))
                item = items[code]
                day = last_day.replace(day=rng.randint(1, last_day.day))
                reason = _text(rng, DEDUCTION_TEXTS[code], month).format(
                    m=month, q=QUARTER_NAMES[_quarter(month) - 1]
                )
                plan.entries.append(
                    PointsEntry(
                        member=person.member,
                        branch=person.branch,
                        year=plan.year,
                        month=month,
                        kind=PointsEntry.Kind.DEDUCTION,
                        points=item.points_min,
                        item=item,
                        rule_set=plan.rule_set,
                        occurred_on=day,
                        reason=reason,
                        created_by=state.clerk,
                        created_at=_committee_moment(rng, clock, state, day),
                    )
                )


def _correction_moment(rng, clock: _Clock, months, branch_id: int, month: int):
    """At a later committee meeting (of the next closed month), else some days after closing."""
    following = months.get((branch_id, month + 1))
    if following is not None and following.closed:
        return min(clock.after(rng, following.meeting, 5, 60), following.branch_month.closed_at)
    return clock.after(rng, months[(branch_id, month)].branch_month.closed_at, 24 * 60, 5 * 24 * 60)


@dataclass(frozen=True)
class _Approved:
    """A planned approval, as a correction sees it (the bonus it will write)."""

    member: Member
    month: int
    item: RuleItem
    points: Decimal


def _approved_points(review: services.Review) -> Decimal:
    return review.declaration.points_claimed if review.points is None else review.points


def _plan_corrections(plan, rng, people, months, clock) -> None:
    count = max(2, round(len(people) * CORRECTIONS_PER_MEMBER)) if people else 0
    closed = [(p, m) for p in people for m in p.active_months if months[(p.branch.pk, m)].closed]
    if not closed:
        return
    withdrawable = [
        e
        for e in plan.entries
        if e.kind == PointsEntry.Kind.DEDUCTION
        and e.item.code in WITHDRAWN
        and months[(e.branch.pk, e.month)].closed
    ]
    duplicated = [
        _Approved(d.member, d.month, d.item, _approved_points(plan.reviews[id(d)]))
        for d in plan.declarations
        if plan.approved(d) and months[(d.branch.pk, d.month)].closed
    ]
    by_member = {p.member.pk: p for p in people}
    done: set[int] = set()
    for _ in range(count):
        kind = _weighted(rng, {"withdraw": 45, "missed": 40, "duplicate": 15})
        pool = {"withdraw": withdrawable, "duplicate": duplicated}.get(kind)
        if pool:
            entry = rng.choice(pool)
            if id(entry) in done:
                continue
            done.add(id(entry))
            person, month = by_member[entry.member.pk], entry.month
            if kind == "withdraw":
                points = -entry.points
                what = WITHDRAWN[entry.item.code]
                if entry.item.code == "K04":
                    reason = f"经核实{month}月党费已按时交纳，更正误登的扣分"
                else:
                    reason = f"经核实{month}月{what}已请假，撤销扣分"
            else:
                points = -entry.points
                reason = f"更正重复登记的{month}月加分（{entry.item.code}）"
        else:
            person, month = rng.choice(closed)
            code, value, what = rng.choice(MISSED_BONUS)
            points = Decimal(value)
            reason = f"补录{month}月{what}加分（{code}，支委会漏登）"
        state = months[(person.branch.pk, month)]
        plan.entries.append(
            PointsEntry(
                member=person.member,
                branch=person.branch,
                year=plan.year,
                month=month,
                kind=PointsEntry.Kind.CORRECTION,
                points=points,
                item=None,
                rule_set=state.branch_month.rule_set,
                occurred_on=None,
                reason=reason,
                created_by=state.clerk,
                created_at=_correction_moment(rng, clock, months, person.branch.pk, month),
            )
        )


# --- writing -------------------------------------------------------------------------------


def seed_year_activity(
    built: BuiltCounty,
    *,
    rng: random.Random,
    today: datetime.date,
    by_user=None,
) -> ActivityResult:
    """Write the demo year of ``built`` up to ``today`` (one transaction). See the module doc.

    ``by_user`` enters, reviews and closes for branches without a secretary (default: the
    "county" demo user, else a non-login "system" user). Refuses a county whose branches already
    have months.
    """
    started = time.perf_counter()
    year = built.plan.year
    with transaction.atomic():
        if BranchMonth.objects.filter(branch__in=list(built.branches.values())).exists():
            raise ValueError("this county already has branch months; its year is not empty")
        fallback = fallback_user(by_user)
        rule_set = versions.in_force(year, county=built.county)
        created = rule_set is None
        if created:
            rule_set = services.ruleset_load_defaults(year=year, county=built.county, by=fallback)
            # Published at the start of the year, as the county would have done.
            tz = timezone.get_current_timezone()
            start = datetime.datetime(year, 1, 2, 9, 0, tzinfo=tz)
            start = min(start, _default_cap(today), rule_set.published_at)
            RuleSet.objects.filter(pk=rule_set.pk).update(published_at=start, created_at=start)
            rule_set.refresh_from_db()
        clerks = _clerks(list(built.branches.values()), fallback)
        plan = plan_year_activity(built, rng=rng, today=today, rule_set=rule_set, clerks=clerks)
        BranchMonth.objects.bulk_create(plan.branch_months, batch_size=BATCH_SIZE)
        BranchMonthLog.objects.bulk_create(plan.month_logs, batch_size=BATCH_SIZE)
        # Declarations are typed in (waiting, with their first log row as declaration_create
        # writes it), then reviewed by the service's bulk path, as the committee would.
        Declaration.objects.bulk_create(plan.declarations, batch_size=BATCH_SIZE)
        record_created_many(
            Declaration,
            [
                Step(
                    d,
                    by=d.created_by,
                    reason=Declaration.Source(d.source).label,
                    at=d.created_at,
                    log_fields={"points": d.points_claimed},
                )
                for d in plan.declarations
            ],
        )
        bonuses = services.review_many(list(plan.reviews.values()))
        PointsEntry.objects.bulk_create(plan.entries, batch_size=BATCH_SIZE)
    closed = sum(1 for m in plan.branch_months if m.status == BranchMonth.Status.CLOSED)
    return ActivityResult(
        year=year,
        rule_set=rule_set,
        rule_set_created=created,
        declarations=Counter(d.status for d in plan.declarations),
        entries=Counter(e.kind for e in [*plan.entries, *bonuses]),
        months_closed=closed,
        months_open=len(plan.branch_months) - closed,
        late_branches=plan.late_branches,
        seconds=time.perf_counter() - started,
    )
