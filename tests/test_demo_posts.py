"""demo.posts through the pages a demo user opens: the secretary's posts, board and summary, a
member signing in on their card link with the printed demo PIN, the township's migrant members.

One small demo county (seed_demo itself, so its one-line call and its printed PIN are tested) is
seeded once for the module at a fixed "today" and removed afterwards."""

import datetime
import importlib
import re
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.posts import DEMO_PIN, RETURN_REASON
from members.card_links import active_link
from members.models import Branch, Member, Township
from posts.models import MemberPin, MigrantReport, PostHolding, PostRating, PostTemplate
from scoring.models import Declaration

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)
YEAR = TODAY.year


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _flush()
        try:
            out = StringIO()
            # 1,500 rural members: about 11 a village, enough B members for the posts.
            call_command(
                "seed_demo", "--seed", "11", "--rural-members", "1500",
                "--today", TODAY.isoformat(), stdout=out,
            )  # fmt: skip
            yield SimpleNamespace(output=out.getvalue())
        finally:
            _flush()


def _flush():
    """Empty the database (see tests/test_seed_demo_year.py), keeping the county's starter list
    of posts that a data migration wrote (flush empties it too)."""
    call_command("flush", interactive=False, verbosity=0)
    starter = importlib.import_module("posts.migrations.0002_starter_posts").STARTER
    PostTemplate.objects.bulk_create(
        PostTemplate(name=name, duties=duties, position=n)
        for n, (name, duties) in enumerate(starter, 1)
    )


def _login(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _branch(name="东阳涧村"):
    return Branch.objects.get(name=name, township__name="东村镇")


def test_the_secretary_finds_posts_holders_and_pledges(demo):
    branch = _branch()
    page = _login("secretary").get(reverse("posts_branch", args=[branch.pk, YEAR]))
    assert page.status_code == 200
    html = page.content.decode()
    holdings = list(PostHolding.objects.filter(post__branch=branch, year=YEAR))
    assert len(holdings) >= 3  # this small county's 东阳涧村 has only a few members without office
    for holding in holdings:
        assert holding.member.name in html and holding.post.name in html
    statuses = {h.status for h in holdings}
    assert PostHolding.Status.CONFIRMED in statuses and statuses - {PostHolding.Status.CONFIRMED}
    # Holders are members without office, and every confirmed one has signed a pledge.
    assert {h.member.category_in(TODAY.replace(day=1)) for h in holdings} == {"B"}
    confirmed = [h for h in holdings if h.status == PostHolding.Status.CONFIRMED]
    board = _login("secretary").get(reverse("posts_board", args=[branch.pk, YEAR])).content
    board = board.decode()
    for holding in confirmed:
        assert holding.pledge.text in board
        assert holding.member.id_number not in board
    # The other demo secretary's branch has its own.
    assert PostHolding.objects.filter(post__branch=_branch("官桥村")).exists()


def test_the_closed_quarters_are_rated_and_agree_with_the_ledger(demo):
    branch = _branch()
    ratings = list(PostRating.objects.filter(holding__post__branch=branch))
    assert {r.quarter for r in ratings} == {1, 2, 3}  # December, the 4th's last month, is to come
    for rating in ratings:
        if rating.rating == PostRating.Rating.GOOD:
            proposal = rating.declaration
            assert proposal.item.code == "G01" and proposal.status == "approved"
            assert proposal.member_id == rating.holding.member_id
            assert proposal.month == rating.quarter * 3
        else:
            assert rating.declaration is None
    summary = _login("secretary").get(reverse("posts_summary_branch", args=[branch.pk, YEAR]))
    deeds = sum(r.deeds for r in ratings)
    assert deeds > 0 and f"办实事 {deeds} 件" in summary.content.decode()


def test_a_tester_signs_in_with_the_printed_pin_and_sees_own_declarations(demo):
    line = re.search(r"member PIN (\d{6}) for (\S+?)（(\S+?)）", demo.output)
    assert line and line.group(1) == DEMO_PIN, demo.output[-800:]
    member = Member.objects.get(name=line.group(2), branch=_branch())
    assert PostHolding.objects.filter(member=member, year=YEAR).exists()
    token = active_link(member).token
    client = Client()
    page = client.post(reverse("card_self", args=[token]), {"pin": DEMO_PIN}, follow=True)
    assert "我的申报" in page.content.decode()
    # A few members have PINs; their own declarations are in every state a member may see.
    assert MemberPin.objects.filter(member__branch=_branch()).count() == 6
    own = Declaration.objects.filter(source=Declaration.Source.SELF, branch=_branch())
    assert {d.status for d in own} == {"submitted", "approved", "returned"}
    assert own.get(status="returned").review_reason == RETURN_REASON


def test_the_township_sees_who_reported_in_and_who_has_been_silent(demo):
    township = Township.objects.get(name="东村镇")
    page = _login("township").get(reverse("migrants_township", args=[township.pk]))
    html = page.content.decode()
    reports = MigrantReport.objects.filter(branch__township=township, year=YEAR, month=11)
    assert reports.exists()
    for report in reports[:5]:
        assert report.member.name in html
    assert "已报到" in html and "连续 3 个月未报到" in html
