"""The month-end rush, for Locust (run by devtools/loadtest.py; not imported by the project).

Three kinds of user, in the proportions of a county's last days of the month:

* secretaries (most users): open their month screen, open a waiting declaration to review it,
  open a member's points card, and now and then enter a declaration (each with a text no other
  entry has, so the run can count afterwards that every saved entry is there exactly once);
* township officials: open the township dashboard and the township home;
* the county organisation department: opens the county dashboard.

About 5 % of requests are POSTs (the declarations; the logins at start are a few more).
Everything the users need to know (branch and township ids, member names) comes in
LOADTEST_FACTS as JSON, read from the database before the run, so the same file plays against
any version of the app that has these pages.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, task

FACTS = json.loads(os.environ.get("LOADTEST_FACTS", "{}"))
PASSWORD = FACTS.get("password", "lanxian2026")
RUN_TAG = FACTS.get("tag", "run")
REVIEW_LINK = re.compile(r"/declarations/(\d+)/review/")
_numbers = itertools.count(1)


class _LoggedIn(HttpUser):
    abstract = True
    wait_time = between(0.1, 0.5)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def csrf(self) -> str:
        return [c.value for c in self.client.cookies if c.name == "csrftoken"][-1]


class Secretary(_LoggedIn):
    weight = 14

    def on_start(self) -> None:
        self.branch = random.choice(FACTS["branches"])
        self.username = self.branch["login"]
        super().on_start()
        self.month_url = f"/branches/{self.branch['pk']}/months/{FACTS['year']}/{FACTS['month']}/"
        self.waiting: list[str] = []

    @task(8)
    def month_screen(self) -> None:
        page = self.client.get(self.month_url, name="month screen")
        self.waiting = REVIEW_LINK.findall(page.text) or self.waiting

    @task(3)
    def review(self) -> None:
        if self.waiting:
            pk = random.choice(self.waiting)
            self.client.get(f"/declarations/{pk}/review/", name="review a declaration")

    @task(3)
    def card(self) -> None:
        pk = random.choice(self.branch["members"])
        self.client.get(f"/members/{pk}/card/{FACTS['year']}/", name="points card")

    @task(1)
    def declare(self) -> None:
        text = f"压测 {RUN_TAG} {uuid.uuid4().hex[:8]}-{next(_numbers)} 清理村道"
        data = {
            "csrfmiddlewaretoken": self.csrf(),
            "declaration-member": random.choice(self.branch["names"]),
            "declaration-item": "G03",
            "declaration-description": text,
            "declaration-points": "2",
            "declaration-occurred_on": FACTS["day"],
            "declaration-submission_key": str(uuid.uuid4()),
            "declaration-confirm_duplicate": "on",
        }
        with self.client.post(
            self.month_url + "declarations/",
            data=data,
            name="POST declaration",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Saved means redirected back to the month; a 200 is the form with an error.
            if response.status_code != 302:
                response.failure(f"declaration not saved ({response.status_code})")


class TownshipOfficial(_LoggedIn):
    weight = 4

    def on_start(self) -> None:
        self.township = random.choice(FACTS["townships"])
        self.username = self.township["login"]
        super().on_start()

    @task(3)
    def dashboard(self) -> None:
        self.client.get(
            f"/townships/{self.township['pk']}/dashboard/{FACTS['year']}/",
            name="township dashboard",
        )

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="township home")


class CountyOfficial(_LoggedIn):
    weight = 2
    username = "county"

    @task
    def dashboard(self) -> None:
        self.client.get(f"/county/dashboard/{FACTS['year']}/", name="county dashboard")
