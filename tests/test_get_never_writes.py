"""GET never writes and never fails: opening any page as any role leaves every table unchanged
and answers no 5xx — also for months and years that have no rule set.

The crawl opens every URL of the scope table (tests/test_scope.py) for the side in scope, the
county-wide pages, pages of a year without rules, and every link those pages show, as each role.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import reverse

from .test_scope import SCOPED, build_scoped_county, url_for

pytestmark = pytest.mark.django_db

PERSONAS = ["county", "township", "secretary", "assessor"]
LINK = re.compile(r'href="(/[^"#]*)')
# Writing these is not "the page wrote": a login's session, the throttle's log of requests.
NOT_COUNTED = {"sessions.session", "axes.accesslog", "axes.accessattempt"}
SKIP = ("/static/", "/media/", "/admin/", "/accounts/logout/")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in NOT_COUNTED
    }


def start_urls(county) -> list[str]:
    urls = [url_for(name, county, "ours") for name in sorted(SCOPED)]
    urls += [reverse(name) for name in ("home", "county", "archive_list", "county_entries")]
    urls += [reverse("county_dashboard", args=[2026]), reverse("county_honour", args=[2026])]
    # A year without rules: the month before January, its card, its dashboard, its assessments.
    branch, member, township = county.branch.pk, county.member.pk, county.dongcun.pk
    urls += [
        reverse("month", args=[branch, 2025, 12]),
        reverse("month", args=[branch, 2024, 1]),
        reverse("points_card", args=[member, 2024]),
        reverse("assessments", args=[branch, 2024]),
        reverse("appraisal", args=[branch, 2024]),
        reverse("branch_ranking", args=[branch, 2024]),
        reverse("township_dashboard", args=[township, 2024]),
        reverse("county_dashboard", args=[2024]),
        reverse("rules_sheet", args=[2024]),
        reverse("branch_rules", args=[branch, 2024]),
    ]
    return urls


def test_opening_every_page_and_every_link_on_it_writes_nothing_and_never_fails(county):
    build_scoped_county(county)
    before = row_counts()
    failures, opened = [], set()
    starts = start_urls(county)
    for persona in PERSONAS:
        client = county.client(persona)
        queue = list(starts)
        seen: set[str] = set()
        while queue:
            url = queue.pop()
            if url in seen or url.startswith(SKIP):
                continue
            seen.add(url)
            response = client.get(url)
            opened.add(url)
            if response.status_code >= 500:
                failures.append((persona, url, response.status_code))
            content_type = response.get("Content-Type", "")
            if response.status_code == 200 and content_type.startswith("text/html"):
                for link in LINK.findall(response.content.decode()):
                    if urlsplit(link).path not in seen and url in starts:
                        queue.append(link.replace("&amp;", "&"))
    assert failures == []
    after = row_counts()
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    assert changed == {}, changed
    assert len(opened) > 100  # the crawl really went round
