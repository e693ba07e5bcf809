"""Posts and pledges through the pages: setting up posts, claiming within the post's count,
the committee's confirmation (logged through core.transitions), the pledge, the board sheet
and the quarterly rating that proposes G01 / K08 once, never into a closed month."""

import datetime

import pytest
from django.urls import reverse

from members.permissions import system_user
from posts.models import Post, PostHolding, PostHoldingLog, PostRating, PostTemplate
from scoring import services as scoring
from scoring.models import Declaration
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026  # the suite's "today" is late 2026
QUARTER = 3  # its last month, September, is past


@pytest.fixture
def rules(county):
    return load_default_rules(year=YEAR)


def _post(county, name="环境卫生监督岗", holders=1):
    return Post.objects.create(branch=county.branch, name=name, duties="房前屋后", holders=holders)


def _claim(client, county, post, member, how="claim"):
    return client.post(
        reverse("holding_create", args=[county.branch.pk, YEAR]),
        {"holding-member": member.pk, "holding-post": post.pk, "holding-how": how},
    )


def test_the_starter_list_is_seeded_and_a_branch_copies_it(county):
    names = list(PostTemplate.objects.values_list("name", flat=True))
    assert "政策法规宣传岗" in names and "产业发展带头岗" in names and len(names) == 8
    client = county.client("secretary")
    picked = PostTemplate.objects.filter(name__in=["政策法规宣传岗", "矛盾纠纷调解岗"])
    response = client.post(
        reverse("posts_copy", args=[county.branch.pk, YEAR]),
        {"copy-templates": [t.pk for t in picked]},
    )
    assert response.status_code == 302
    assert set(county.branch.posts.values_list("name", flat=True)) == {
        "政策法规宣传岗",
        "矛盾纠纷调解岗",
    }
    # Copying again adds nothing twice.
    client.post(
        reverse("posts_copy", args=[county.branch.pk, YEAR]),
        {"copy-templates": [t.pk for t in picked]},
    )
    assert county.branch.posts.count() == 2


def test_a_post_takes_no_more_holders_than_it_has_places(county):
    post = _post(county, holders=1)
    second = make_member(county.branch, "刘二")
    client = county.client("secretary")
    assert _claim(client, county, post, county.member).status_code == 302
    response = _claim(client, county, post, second)
    assert response.status_code == 200
    assert "已满员" in response.content.decode()
    assert post.holdings.count() == 1


def test_one_post_per_member_per_year(county):
    first, other = _post(county, "甲岗"), _post(county, "乙岗")
    client = county.client("secretary")
    _claim(client, county, first, county.member)
    # The member is no longer offered; posting anyway is refused with a message.
    response = _claim(client, county, other, county.member)
    assert response.status_code == 200
    assert PostHolding.objects.filter(member=county.member).count() == 1


def test_confirming_goes_through_the_transition_log(county):
    post = _post(county)
    client = county.client("secretary")
    _claim(client, county, post, county.member, how="assign")
    holding = PostHolding.objects.get()
    assert holding.status == PostHolding.Status.ASSIGNED
    # The assessor may record claims but not confirm: 404, as for a page closed to the role.
    assert (
        county.client("assessor").post(reverse("holding_confirm", args=[holding.pk])).status_code
        == 404
    )
    assert client.post(reverse("holding_confirm", args=[holding.pk])).status_code == 302
    holding.refresh_from_db()
    assert holding.status == PostHolding.Status.CONFIRMED
    logs = list(
        PostHoldingLog.objects.filter(holding=holding).values_list("from_status", "to_status")
    )
    assert logs == [("", "assigned"), ("assigned", "confirmed")]
    # A second click is refused and writes nothing.
    client.post(reverse("holding_confirm", args=[holding.pk]))
    assert PostHoldingLog.objects.filter(holding=holding).count() == 2


def test_another_branch_s_holding_is_404(county):
    post = Post.objects.create(branch=county.branch_y, name="邻村岗", holders=1)
    holding = PostHolding.objects.create(
        member=county.member_y, post=post, year=YEAR, status="claimed", created_by=system_user()
    )
    client = county.client("secretary")
    for name in ("holding", "pledge_print"):
        assert client.get(reverse(name, args=[holding.pk])).status_code == 404
    for name in ("holding_confirm", "pledge_save"):
        assert client.post(reverse(name, args=[holding.pk])).status_code == 404


def _confirmed(county, member=None):
    post = _post(county, holders=3)
    holding = PostHolding.objects.create(
        member=member or county.member,
        post=post,
        year=YEAR,
        status="confirmed",
        created_by=system_user(),
    )
    return holding


def test_pledge_print_and_board_carry_nothing_personal(county):
    holding = _confirmed(county)
    client = county.client("secretary")
    response = client.post(
        reverse("pledge_save", args=[holding.pk]), {"text": "每月走访10户群众，宣讲惠民政策"}
    )
    assert response.status_code == 302
    printed = client.get(reverse("pledge_print", args=[holding.pk])).content.decode()
    assert "党员履岗承诺书" in printed and "每月走访10户群众" in printed
    board = client.get(reverse("posts_board", args=[county.branch.pk, YEAR])).content.decode()
    assert "党员设岗定责·承诺践诺公示" in board
    assert county.member.name in board and "每月走访10户群众" in board
    member = county.member
    for private in (member.id_number, member.masked_id_number, str(member.birth_date.year) + "-"):
        assert private not in board
    for field in ("phone", "address"):
        value = getattr(member, field, "")
        if value:
            assert value not in board


def _rate(client, holding, rating, quarter=QUARTER, **counts):
    data = {f"q{quarter}-rating": rating, f"q{quarter}-note": "好"}
    for name in ("deeds", "disputes", "audience"):
        data[f"q{quarter}-{name}"] = counts.get(name, 0)
    return client.post(reverse("rating_save", args=[holding.pk, quarter]), data)


def test_a_good_rating_proposes_g01_once_in_the_quarter_s_last_month(county, rules):
    holding = _confirmed(county)
    client = county.client("secretary")
    assert _rate(client, holding, "good", deeds=3, disputes=1, audience=40).status_code == 302
    assert _rate(client, holding, "good", deeds=4).status_code == 302  # saved again
    proposals = Declaration.objects.filter(member=county.member, source="post")
    assert proposals.count() == 1
    proposal = proposals.get()
    assert (proposal.item.code, proposal.year, proposal.month) == ("G01", YEAR, 9)
    assert proposal.status == Declaration.Status.SUBMITTED
    assert PostRating.objects.get().deeds == 4


def test_changing_to_failed_withdraws_g01_and_proposes_k08(county, rules):
    holding = _confirmed(county)
    client = county.client("secretary")
    _rate(client, holding, "good")
    _rate(client, holding, "failed")
    _rate(client, holding, "failed")
    proposals = Declaration.objects.filter(member=county.member, source="post").order_by("pk")
    assert [(d.item.code, d.status) for d in proposals] == [
        ("G01", "withdrawn"),
        ("K08", "submitted"),
    ]
    # A basic rating proposes nothing.
    _rate(client, holding, "basic", quarter=2)
    assert Declaration.objects.filter(member=county.member, month=6).count() == 0


def test_rating_is_refused_while_the_month_is_closed_and_nothing_is_saved(county, rules):
    holding = _confirmed(county)
    month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=9)
    scoring.month_close(
        branch_month=month, meeting_date=datetime.date(YEAR, 10, 5), by=county.secretary_user
    )
    response = _rate(county.client("secretary"), holding, "good")
    assert response.status_code == 200
    assert "已于支委会结账" in response.content.decode()
    assert PostRating.objects.count() == 0
    assert Declaration.objects.filter(source="post").count() == 0


def test_the_summary_counts_and_exports(county, rules):
    holding = _confirmed(county)
    client = county.client("secretary")
    _rate(client, holding, "good", deeds=5, disputes=2, audience=30)
    page = client.get(reverse("posts_summary_branch", args=[county.branch.pk, YEAR]))
    assert "累计为群众办实事 5 件" in page.content.decode()
    township = county.client("township").get(
        reverse("posts_summary_township_export", args=[county.dongcun.pk, YEAR])
    )
    assert township.status_code == 200
    assert township["Content-Type"].startswith("application/vnd.openxmlformats")
    assert (
        county.client("county").get(reverse("posts_summary_county", args=[YEAR])).status_code == 200
    )


def test_the_branch_posts_page_has_bounded_queries(county, rules, django_assert_max_num_queries):
    for i in range(6):
        member = make_member(county.branch, f"党员{i}")
        holding = _confirmed(county, member)
        holding.post.name = f"岗位{i}"
        holding.post.save()
    client = county.client("secretary")
    url = reverse("posts_branch", args=[county.branch.pk, YEAR])
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
