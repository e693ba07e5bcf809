"""Every URL × every role × an object in scope and one out of scope.

Out of scope answers 404 — not 403, not 200 — on GET and on POST, so another village's data is
never shown, changed or even confirmed to exist. The table below must name every URL of the
project: adding a URL without adding it here fails `test_every_url_is_covered`.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from members.permissions import system_user
from posts.models import Post, PostHolding
from scoring import services
from scoring.models import Declaration, RuleItem
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 3

# name → how to build its URL arguments from (county, side), side = "ours", "theirs" or "far".
# "ours" is 东阳涧村 (the secretary's and assessor's branch, in the township official's
# township); "theirs" is 史家庄村 in another township; "far" is 城关村 in another county (兴县),
# out of scope for the 岚县 county admin too.
SIDES = {
    "ours": ("branch", "member", "dongcun"),
    "theirs": ("branch_z", "member_z", "lancheng"),
    "far": ("branch_x", "member_x", "weifen"),
}
BRANCH = lambda c, side: [getattr(c, SIDES[side][0]).pk]  # noqa: E731
MEMBER = lambda c, side: [getattr(c, SIDES[side][1]).pk]  # noqa: E731
TOWNSHIP = lambda c, side: [getattr(c, SIDES[side][2]).pk]  # noqa: E731
BRANCH_MONTH = lambda c, side: [*BRANCH(c, side), YEAR, MONTH]  # noqa: E731
BRANCH_YEAR = lambda c, side: [*BRANCH(c, side), YEAR]  # noqa: E731
MEMBER_YEAR = lambda c, side: [*MEMBER(c, side), YEAR]  # noqa: E731
DECLARATION = lambda c, side: [c.declarations[side].pk]  # noqa: E731
ASSESSMENT = lambda c, side: [c.assessments[side].pk]  # noqa: E731
NOTICE = lambda c, side: [c.notices[side].pk]  # noqa: E731
OBJECTION = lambda c, side: [c.objections[side].pk]  # noqa: E731
ARCHIVE = lambda c, side: [c.archives[side].pk]  # noqa: E731
APPEAL = lambda c, side: [c.appeals[side].pk]  # noqa: E731
TOWNSHIP_YEAR = lambda c, side: [*TOWNSHIP(c, side), YEAR]  # noqa: E731
TOWNSHIP_PERIOD = lambda c, side: [*TOWNSHIP(c, side), YEAR, "Q1"]  # noqa: E731
BRANCH_PERIOD = lambda c, side: [*BRANCH(c, side), YEAR, "Q1"]  # noqa: E731
SHOP = lambda c, side: [c.shops[side].pk]  # noqa: E731
SHOP_MONTH = lambda c, side: [*SHOP(c, side), YEAR, MONTH]  # noqa: E731
REDEMPTION = lambda c, side: [c.redemptions[side].pk]  # noqa: E731
PAYMENT = lambda c, side: [c.payments[side].pk]  # noqa: E731
POST = lambda c, side: [c.posts[side].pk]  # noqa: E731
HOLDING = lambda c, side: [c.holdings[side].pk]  # noqa: E731
HOLDING_QUARTER = lambda c, side: [c.holdings[side].pk, 1]  # noqa: E731
# A county named by its pk: 岚县 for "ours" and "theirs" (whose township and branch roles have
# no county page), 兴县 for "far" (another county, and in no city).
COUNTY = lambda c, side: [(c.xingxian if side == "far" else c.lanxian).pk]  # noqa: E731
COUNTY_YEAR = lambda c, side: [*COUNTY(c, side), YEAR]  # noqa: E731

SCOPED = {
    "township": TOWNSHIP,
    "branch": BRANCH,
    "member_create": BRANCH,
    "member": MEMBER,
    "member_edit": MEMBER,
    "member_category": MEMBER,
    "member_transfer": MEMBER,
    "member_leave": MEMBER,
    "roster_export": BRANCH,
    "roster_template": BRANCH,
    "roster_import": BRANCH,
    "roster_import_confirm": BRANCH,
    "month_current": BRANCH,
    "month": BRANCH_MONTH,
    "declaration_create": BRANCH_MONTH,
    "deduction_create": BRANCH_MONTH,
    "clearing_create": BRANCH_MONTH,
    "declarations_approve": BRANCH_MONTH,
    "month_close": BRANCH_MONTH,
    "activity_create": BRANCH_MONTH,
    "meeting_create": BRANCH_MONTH,
    "declarations_approve_all": BRANCH_MONTH,
    "month_export": BRANCH_MONTH,
    "month_template": BRANCH_MONTH,
    "month_import": BRANCH_MONTH,
    "declaration_review": DECLARATION,
    "declaration_edit": DECLARATION,
    "declaration_photo": DECLARATION,
    "points_card": MEMBER_YEAR,
    "points_card_print": MEMBER_YEAR,
    "branch_cards_print": BRANCH_YEAR,
    "correction_create": MEMBER,
    "card_link": MEMBER,
    "card_links_issue_all": BRANCH,
    "branch_rules": BRANCH_YEAR,
    "branch_adopt": BRANCH_YEAR,
    "branch_item_create": BRANCH_YEAR,
    "branch_rules_print": BRANCH_YEAR,
    # Assessment (step 4)
    "assessments": BRANCH_YEAR,
    "assessment_open": BRANCH_PERIOD,
    "assessment": ASSESSMENT,
    "assessment_confirm": ASSESSMENT,
    "assessment_review": ASSESSMENT,
    "assessment_export": ASSESSMENT,
    "appraisal": BRANCH_YEAR,
    "township_queue": TOWNSHIP,
    "follow_ups": BRANCH_YEAR,
    "appeal_create": MEMBER,
    "appeal_decide": APPEAL,
    "township_results_export": TOWNSHIP_PERIOD,
    # Notice and archive (step 5)
    "notice_create": ASSESSMENT,
    "notice": NOTICE,
    "notice_approve": NOTICE,
    "notice_publish": NOTICE,
    "notice_archive": NOTICE,
    "notice_print": NOTICE,
    "objection_create": NOTICE,
    "objection": OBJECTION,
    "archive_detail": ARCHIVE,
    "archive_print": ARCHIVE,
    # Oversight: dashboards, lists behind their numbers, rankings, 光荣榜
    "township_dashboard": TOWNSHIP_YEAR,
    "township_dashboard_export": TOWNSHIP_YEAR,
    "township_ranking": TOWNSHIP_YEAR,
    "township_ranking_export": TOWNSHIP_YEAR,
    "township_honour": TOWNSHIP_YEAR,
    "township_honour_export": TOWNSHIP_YEAR,
    "township_entries": TOWNSHIP,
    "township_entries_export": TOWNSHIP,
    "township_members": TOWNSHIP,
    "township_members_export": TOWNSHIP,
    "branch_ranking": BRANCH_YEAR,
    "branch_ranking_export": BRANCH_YEAR,
    # A county's pages named by its pk: its own admin and its city's admin
    "county_dashboard_of": COUNTY_YEAR,
    "county_dashboard_of_export": COUNTY_YEAR,
    "county_honour_of": COUNTY_YEAR,
    "county_honour_of_export": COUNTY_YEAR,
    "county_entries_of": COUNTY,
    "county_entries_of_export": COUNTY,
    "county_members_of": COUNTY,
    "county_members_of_export": COUNTY,
    # Rewards: the village shop (爱心超市) and the township's red fund (红色基金)
    "shop": SHOP,
    "goods_create": SHOP,
    "stock_receive": SHOP,
    "stock_adjust": SHOP,
    "shop_counter": SHOP,
    "shop_statement": SHOP_MONTH,
    "shop_statement_export": SHOP_MONTH,
    "redemption_receipt": REDEMPTION,
    "redemption_reverse": REDEMPTION,
    "red_fund": TOWNSHIP,
    "fund_income": TOWNSHIP,
    "payment_propose": TOWNSHIP,
    "payment_decide": PAYMENT,
    "fund_statement": TOWNSHIP_YEAR,
    "fund_statement_export": TOWNSHIP_YEAR,
    "exchange_rule": BRANCH,
    "exchange_limits": TOWNSHIP,
    # Posts and pledges, the member's PIN, migrants' report-in, sharing a notice (posts app)
    "posts_branch": BRANCH_YEAR,
    "post_create": BRANCH_YEAR,
    "posts_copy": BRANCH_YEAR,
    "holding_create": BRANCH_YEAR,
    "posts_board": BRANCH_YEAR,
    "posts_summary_branch": BRANCH_YEAR,
    "posts_summary_branch_export": BRANCH_YEAR,
    "posts_summary_township": TOWNSHIP_YEAR,
    "posts_summary_township_export": TOWNSHIP_YEAR,
    "post_edit": POST,
    "holding": HOLDING,
    "holding_confirm": HOLDING,
    "holding_end": HOLDING,
    "pledge_save": HOLDING,
    "pledge_print": HOLDING,
    "rating_save": HOLDING_QUARTER,
    "member_pin": MEMBER,
    "member_card_qr": MEMBER,
    "migrants_branch": BRANCH_MONTH,
    "migrants_township": TOWNSHIP,
    "notice_share": NOTICE,
}

# Not about one township's or branch's data: role-checked or county-wide.
UNSCOPED = {
    "home",  # redirects to the user's own page
    "healthz",  # the load balancer's probe: no data
    "county",  # the admin's own county (others 404): test_members_pages, test_counties
    "county_logins",  # the admin's own county's lockouts (others 404): tests/test_logins.py
    "rules_sheet",  # the county's published rules, the same for every branch
    "archive_list",  # lists only what the user may see: test_notice.py checks the scoping
    "county_results_export",  # the admin's own county: test_exports.py, test_counties.py
    "card_public",  # public, behind an unguessable token: tests/test_card_links.py
    # Public behind the card link's token, after the member's PIN: tests/test_posts_pin.py
    "card_self",
    "card_self_declare",
    "card_self_report",
    "card_self_claim",
    "card_self_leave",
    "card_self_photo",
    "notice_shared",  # public, behind an unguessable token: tests/test_posts_share.py
    "notice_shared_png",  # the same notice as a file: tests/test_posts_share_files.py
    "notice_shared_pdf",
    # The admin's own county (others 404): COUNTY_ONLY below
    "posts_summary_county",
    "posts_summary_county_export",
    # The admin's own county (others 404): tests/test_dashboards.py, tests/test_counties.py
    "county_dashboard",
    "county_dashboard_export",
    "county_honour",
    "county_honour_export",
    "county_entries",
    "county_entries_export",
    "county_members",
    "county_members_export",
    # The city admin's own city (others 404): CITY_ONLY below, tests/test_city.py
    "city_dashboard",
    "city_dashboard_export",
    "shops",  # lists only the shops the user may see: tests/test_rewards_shop.py
    "county_rewards",  # the admin's own county (others 404): tests/test_rewards_fund.py
    "login",
    "logout",
    "password_change",
    "password_change_done",
}

RESTRICTED_PERSONAS = ["township", "secretary", "assessor"]


def all_url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin has its own permission checks (county staff only)
            yield from all_url_names(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name


def test_every_url_is_covered():
    names = set(all_url_names())
    missing = names - set(SCOPED) - UNSCOPED
    assert not missing, f"add these URLs to tests/test_scope.py: {sorted(missing)}"
    stale = (set(SCOPED) | UNSCOPED) - names
    assert not stale, f"these URLs no longer exist: {sorted(stale)}"


@pytest.fixture
def scoped_county(county):
    return build_scoped_county(county)


def build_scoped_county(county):
    """For "ours", "theirs" and "far": a waiting declaration in March, and a Q1 that went all the
    way: months closed, confirmed, approved, notice published a week ago with one objection
    resolved, archived; plus an appeal. A plain function so that the browser tests
    (tests/browser/) open the same pages on the same data."""
    from evaluations import services as evaluations
    from members.models import Official
    from tests.conftest import make_user

    load_default_rules(year=YEAR)
    for name in [
        "declarations",
        "assessments",
        "notices",
        "objections",
        "archives",
        "appeals",
        "shops",
        "redemptions",
        "payments",
    ]:
        setattr(county, name, {})
    county.posts, county.holdings = {}, {}
    today = timezone.localdate()
    sides = [
        ("ours", county.member, county.branch, county.secretary_user, county.township_user),
        ("theirs", county.member_z, county.branch_z, system_user(), county.township_2_user),
        (
            "far",
            county.member_x,
            county.branch_x,
            system_user(),
            make_user("township_x", Official.Role.TOWNSHIP, township=county.weifen),
        ),
    ]
    for side, member, branch, secretary, township in sides:
        for month in (1, 2, 3):
            branch_month = services.month_get_or_open(branch=branch, year=YEAR, month=month)
            services.month_close(
                branch_month=branch_month,
                meeting_date=datetime.date(YEAR, month + 1, 2),
                by=secretary,
            )
        county.declarations[side] = Declaration.objects.create(
            member=member,
            branch=branch,
            year=YEAR,
            month=MONTH,
            item=RuleItem.objects.get(
                code="G02", branch__isnull=True, rule_set=branch_month.rule_set
            ),
            occurred_on=datetime.date(YEAR, MONTH, 3),
            description="义务劳动",
            points_claimed=1,
            created_by=secretary,
        )
        assessment = evaluations.assessment_open(
            branch=branch, year=YEAR, period="Q1", by=secretary
        )
        evaluations.assessment_confirm(
            assessment=assessment,
            meeting_date=datetime.date(YEAR, 4, 5),
            members_expected=1,
            members_present=1,
            by=secretary,
        )
        evaluations.assessment_approve(assessment=assessment, by=township)
        county.assessments[side] = assessment
        notice = evaluations.notice_create(
            assessment=assessment, objection_channel="向村党支部书记反映", by=secretary
        )
        evaluations.notice_approve(notice=notice, by=secretary)
        start = today - datetime.timedelta(days=7)
        evaluations.notice_publish(notice=notice, start_date=start, by=secretary)
        objection = evaluations.objection_record(
            notice=notice, content="积分有误", received_on=start, anonymous=True, by=secretary
        )
        evaluations.objection_answer(objection=objection, answer="已核实无误", by=secretary)
        evaluations.objection_resolve(objection=objection, resolution="反映人认可", by=secretary)
        county.notices[side], county.objections[side] = notice, objection
        county.archives[side] = evaluations.notice_archive(notice=notice, by=secretary)
        county.posts[side] = Post.objects.create(branch=branch, name="政策法规宣传岗", holders=2)
        county.holdings[side] = PostHolding.objects.create(
            member=member,
            post=county.posts[side],
            year=YEAR,
            status="claimed",
            created_by=secretary,
        )
        county.appeals[side] = evaluations.appeal_record(
            member=member,
            branch=branch,
            year=YEAR,
            received_on=today,
            content="对等次有异议",
            by=secretary,
        )
        _add_rewards(county, side, member, branch, township)
    return county


def _add_rewards(county, side, member, branch, township):
    """A shop serving the branch with one item and one redemption, and a red-fund payment."""
    from rewards import services as rewards
    from rewards.models import Shop

    shop = Shop.objects.create(township=branch.township, name=f"{branch.name}爱心超市")
    shop.branches.add(branch)
    goods = rewards.goods_create(shop=shop, name="毛巾", unit="条", price=0, by=system_user())
    rewards.stock_receive(goods=goods, quantity=5, source="donated", by=system_user())
    county.shops[side] = shop
    county.redemptions[side] = rewards.redeem(
        shop=shop,
        member=member,
        items=[(goods.pk, 1)],
        collected_by=member.name,
        by=system_user(),
    )
    county.payments[side] = rewards.payment_propose(
        township=branch.township,
        purpose="goods",
        payee="供销社",
        amount=100,
        reason="购置爱心超市物品",
        by=township,
    )


def url_for(name, county, side):
    from django.urls import reverse

    return reverse(name, args=SCOPED[name](county, side))


@pytest.mark.parametrize("persona", RESTRICTED_PERSONAS)
@pytest.mark.parametrize("name", sorted(SCOPED))
def test_out_of_scope_objects_answer_404_on_get_and_post(scoped_county, persona, name):
    client = scoped_county.client(persona)
    url = url_for(name, scoped_county, "theirs")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x", "declaration": ["1", "2"]}).status_code == 404
    assert Declaration.objects.get(pk=scoped_county.declarations["theirs"].pk).status == (
        "submitted"
    )
    assert scoped_county.assessments["theirs"].logs.count() == 3  # opened, confirmed, approved


@pytest.mark.parametrize("persona", ["city", "county", *RESTRICTED_PERSONAS])
@pytest.mark.parametrize("name", sorted(SCOPED))
def test_another_countys_objects_answer_404_even_to_the_county_admin(scoped_county, persona, name):
    client = scoped_county.client(persona)
    url = url_for(name, scoped_county, "far")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x", "declaration": ["1", "2"]}).status_code == 404
    assert Declaration.objects.get(pk=scoped_county.declarations["far"].pk).status == "submitted"
    assert scoped_county.assessments["far"].logs.count() == 3


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_the_branch_next_door_is_out_of_scope_for_a_secretary(scoped_county, name):
    """官桥村's secretary is in the same township as 东阳涧村 and still sees nothing of it."""
    client = scoped_county.client("secretary_y")
    url = url_for(name, scoped_county, "ours")
    if name == "township":
        assert client.get(url).status_code == 404  # branch roles have no township page
        return
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize("persona", ["city", "county", *RESTRICTED_PERSONAS])
@pytest.mark.parametrize("name", sorted(SCOPED))
def test_in_scope_objects_never_fail(scoped_county, persona, name):
    """In scope, a page either works, redirects, or is closed to the role (404) — never 500."""
    client = scoped_county.client(persona)
    response = client.get(url_for(name, scoped_county, "ours"))
    assert response.status_code in {200, 302, 404, 405}


@pytest.mark.parametrize(
    "name",
    [
        "branch",
        "member",
        "month",
        "points_card",
        "points_card_print",
        "branch_cards_print",
        "branch_rules",
        "branch_rules_print",
        "roster_export",
        "declaration_review",
    ],
)
@pytest.mark.parametrize("persona", ["city", "county", *RESTRICTED_PERSONAS])
def test_everyone_in_scope_can_read_the_branch_pages(scoped_county, persona, name):
    response = scoped_county.client(persona).get(url_for(name, scoped_county, "ours"))
    assert response.status_code == 200


COUNTY_ONLY = {
    "county": [],
    "county_logins": [],
    "county_results_export": [YEAR, "Q1"],
    "county_dashboard": [YEAR],
    "county_dashboard_export": [YEAR],
    "county_honour": [YEAR],
    "county_honour_export": [YEAR],
    "county_entries": [],
    "county_entries_export": [],
    "county_members": [],
    "county_members_export": [],
    "county_rewards": [YEAR],
    "posts_summary_county": [YEAR],
    "posts_summary_county_export": [YEAR],
}


@pytest.mark.parametrize("persona", ["city", *RESTRICTED_PERSONAS])
@pytest.mark.parametrize("name", sorted(COUNTY_ONLY))
def test_county_pages_answer_404_to_everyone_else(county, persona, name):
    from django.urls import reverse

    url = reverse(name, args=COUNTY_ONLY[name])
    client = county.client(persona)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    assert county.client("county").get(url).status_code == 200


CITY_ONLY = {"city_dashboard": [YEAR], "city_dashboard_export": [YEAR]}


@pytest.mark.parametrize("persona", ["county", "county_x", *RESTRICTED_PERSONAS])
@pytest.mark.parametrize("name", sorted(CITY_ONLY))
def test_city_pages_answer_404_to_everyone_else(county, persona, name):
    url = reverse(name, args=CITY_ONLY[name])
    client = county.client(persona)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    assert county.client("city").get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_the_city_admin_changes_nothing_in_its_counties(scoped_county, name):
    """The city reads; a POST to any page of its own counties is refused (404; 405 or the page
    itself on a read-only one) and writes no row anywhere."""
    from django.apps import apps

    def rows():
        return {
            model._meta.label: model.objects.count()
            for app in ("members", "scoring", "evaluations", "posts", "rewards")
            for model in apps.get_app_config(app).get_models()
        }

    client = scoped_county.client("city")
    url = url_for(name, scoped_county, "ours")
    before = rows()
    response = client.post(url, {"reason": "x", "declaration": ["1", "2"]})
    assert response.status_code in {200, 404, 405}
    assert rows() == before
    assert Declaration.objects.get(pk=scoped_county.declarations["ours"].pk).status == ("submitted")
    assert scoped_county.assessments["ours"].logs.count() == 3


# --- A look-up of a person: an out-of-scope hit answers like a miss ----------------------------


def _errors(response, form_name=None) -> str:
    form = response.context["forms"][form_name] if form_name else response.context["form"]
    return str(form.errors)


def test_the_month_entry_picker_answers_another_branch_s_member_as_an_unknown_name(
    scoped_county,
):
    county = scoped_county
    client = county.client("secretary")
    url = reverse("declaration_create", args=[county.branch.pk, YEAR, 4])

    def typed(name):
        return client.post(
            url,
            {
                "declaration-member": name,
                "declaration-item": "G02",
                "declaration-occurred_on": f"{YEAR}-04-03",
                "declaration-description": "义务劳动",
            },
        )

    elsewhere = _errors(typed(county.member_z.name), "declaration")
    far = _errors(typed(county.member_x.name), "declaration")
    unknown = _errors(typed("查无此人"), "declaration")
    assert elsewhere.replace(county.member_z.name, "?") == unknown.replace("查无此人", "?")
    assert far.replace(county.member_x.name, "?") == unknown.replace("查无此人", "?")


def test_a_list_filtered_on_someone_out_of_scope_answers_like_nobody(scoped_county):
    county = scoped_county
    client = county.client("township")
    url = reverse("township_entries", args=[county.dongcun.pk])

    def listed(member_id):
        response = client.get(url, {"year": YEAR, "member": member_id})
        assert response.status_code == 200
        return response.context["page"].paginator.count, response.context["description"]

    assert listed(county.member_z.pk) == listed(2**40) == (0, [f"{YEAR}年"])


def test_an_id_number_registered_elsewhere_is_refused_without_saying_where(scoped_county):
    county = scoped_county
    client = county.client("secretary")
    messages = []
    for other in (county.member_z, county.member_x):  # another township, another county
        response = client.post(
            reverse("member_create", args=[county.branch.pk]),
            {
                "name": "新来的",
                "id_number": other.id_number,
                "gender": other.gender,
                "birth_date": other.birth_date.isoformat(),
                "joined_party": "1995-07-01",
                "category": "B",
                "on_roll_from": f"{YEAR}-11",
            },
        )
        text = _errors(response)
        for place in (other.branch.name, other.branch.township.name, "兴县", "岚城镇"):
            assert place not in text
        messages.append(text)
    assert messages[0] == messages[1]
