"""Shared personas and a small county.

The county (岚县) has two townships. 东村镇 has two branches (东阳涧村 = "our" branch, 官桥村 =
the neighbour in the same township); 岚城镇 has one (史家庄村 = another township). A second county
(兴县) has one township (蔚汾镇) with one branch (城关村) and one member: the county admin of 岚县
must never see it.

Personas, one per role, each with a logged-in client:
* county        — 县委组织部管理员, sees everything
* township      — 东村镇 official, sees 东阳涧村 and 官桥村, not 史家庄村
* secretary     — 东阳涧村 secretary, manages that roster only
* assessor      — 东阳涧村 assessment-group member, reads that branch only
* secretary_y   — 官桥村 secretary (same township, other branch)
* township_2    — 岚城镇 official
* county_x      — 兴县 county admin (sees 城关村 only)
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib.auth.models import User
from django.test import Client

from members import models as org
from members import services
from members.idcard import make_id_number
from members.models import Branch, Member, Official, Township
from members.permissions import system_user

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def new_id_number(birth_date=datetime.date(1970, 5, 17), gender="M") -> str:
    n = next(_sequence)
    # Vary the birth date too, so more than 100 numbers per test stay unique.
    birth = birth_date + datetime.timedelta(days=n // 50)
    return make_id_number("141127", birth, n % 50, gender)


def make_member(
    branch: Branch,
    name: str = "王建国",
    *,
    category: str = "B",
    on_roll_from: datetime.date = datetime.date(2026, 1, 1),
    gender: str = "M",
    birth_date: datetime.date = datetime.date(1970, 5, 17),
    by=None,
    **extra,
) -> Member:
    id_number = extra.pop("id_number", None) or new_id_number(birth_date, gender)
    from members.idcard import validate_id_number

    info = validate_id_number(id_number)
    return services.member_create(
        branch=branch,
        by=by or system_user(),
        name=name,
        gender=info.gender,
        id_number=info.number,
        birth_date=info.birth_date,
        joined_party=extra.pop("joined_party", datetime.date(1995, 7, 1)),
        category=category,
        on_roll_from=on_roll_from,
        **extra,
    )


def make_user(
    username: str, role: str, *, city=None, county=None, township=None, branch=None
) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username)
    Official.objects.create(
        user=user, role=role, city=city, county=county, township=township, branch=branch
    )
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class County:
    """The small county above, as attributes, built fresh for each test that asks for it."""

    def __init__(self):
        # 吕梁市 holds 岚县; 兴县 (below) belongs to no city here, so it is out of the city's scope.
        self.lvliang = org.City.objects.create(name="吕梁市")
        self.lanxian = org.County.objects.create(name="岚县", position=1, city=self.lvliang)
        self.dongcun = Township.objects.create(county=self.lanxian, name="东村镇", position=1)
        self.lancheng = Township.objects.create(county=self.lanxian, name="岚城镇", position=2)
        self.branch = Branch.objects.create(township=self.dongcun, name="东阳涧村", position=1)
        self.branch_y = Branch.objects.create(township=self.dongcun, name="官桥村", position=2)
        self.branch_z = Branch.objects.create(township=self.lancheng, name="史家庄村", position=1)

        R = Official.Role
        self.city_user = make_user("city", R.CITY, city=self.lvliang)
        self.county_user = make_user("county", R.COUNTY, county=self.lanxian)
        self.township_user = make_user("township", R.TOWNSHIP, township=self.dongcun)
        self.township_2_user = make_user("township2", R.TOWNSHIP, township=self.lancheng)
        self.secretary_user = make_user("secretary", R.SECRETARY, branch=self.branch)
        self.assessor_user = make_user("assessor", R.ASSESSOR, branch=self.branch)
        self.secretary_y_user = make_user("secretary_y", R.SECRETARY, branch=self.branch_y)

        self.member = make_member(self.branch, "王建国", category="A")
        self.member_y = make_member(self.branch_y, "李秀英", gender="F")
        self.member_z = make_member(self.branch_z, "张志强")

        self.xingxian = org.County.objects.create(name="兴县", position=2)
        self.weifen = Township.objects.create(county=self.xingxian, name="蔚汾镇", position=1)
        self.branch_x = Branch.objects.create(township=self.weifen, name="城关村", position=1)
        self.county_x_user = make_user("county_x", R.COUNTY, county=self.xingxian)
        self.member_x = make_member(self.branch_x, "赵文华")

    def client(self, persona: str) -> Client:
        return client_for(getattr(self, f"{persona}_user"))


@pytest.fixture
def county(db) -> County:
    return County()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
