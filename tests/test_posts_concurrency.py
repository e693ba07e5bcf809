"""Two members claiming a post's last place at the same instant, on real separate database
connections (threads, see tests/test_concurrency.py), on SQLite and PostgreSQL: the post row is
locked while its holders are counted, so exactly one claim gets the place and the other is told,
in Chinese, that the post is full."""

import pytest

from members.permissions import system_user
from posts import services as posts
from posts.models import Post, PostHolding

from .conftest import make_member
from .test_concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def last_place(county):
    """A post for two with one place already taken, and two members who want the other."""
    system_user()  # created once here, not by both threads at once
    post = Post.objects.create(branch=county.branch, name="环境卫生监督岗", holders=2)
    posts.holding_claim_self(member=county.member, post=post)
    first = make_member(county.branch, "刘桂兰", gender="F")
    second = make_member(county.branch, "高志明")
    return post, first, second


def claim(member, post):
    return lambda: posts.holding_claim_self(member=member, post=post)


def test_two_members_claiming_the_last_place_at_once_one_gets_it(last_place):
    post, first, second = last_place
    results = at_once(claim(first, post), claim(second, post))
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    refusal = next(value for kind, value in results if kind == "refused")
    assert "设 2 人" in str(refusal) and "已满员" in str(refusal), refusal
    assert PostHolding.objects.filter(post=post).current().count() == 2
    winner = next(value for kind, value in results if kind == "ok")
    assert winner.member in (first, second)


def test_the_same_member_claiming_twice_at_once_holds_one_post(last_place):
    post, first, _ = last_place
    other = Post.objects.create(branch=post.branch, name="邻里互助服务岗", holders=3)
    results = at_once(claim(first, post), claim(first, other))
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    refusal = next(value for kind, value in results if kind == "refused")
    assert "每人每年一个岗位" in str(refusal), refusal
    assert PostHolding.objects.filter(member=first).current().count() == 1
