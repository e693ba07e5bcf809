"""A published notice shared to the village WeChat group: the public link shows exactly the
printed notice (nothing personal), is never indexed, and once revoked answers 404."""

import pytest
from django.test import Client
from django.urls import reverse

from posts.models import NoticeShare

from .test_scope import build_scoped_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(county):
    """build_scoped_county archives its notices; one is put back to 公示中 for sharing."""
    from evaluations.models import Notice

    build_scoped_county(county)
    notice = county.notices["ours"]
    Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.PUBLISHED)
    notice.refresh_from_db()
    return notice


def test_a_shared_notice_shows_the_sheet_and_nothing_personal(county, published):
    secretary = county.client("secretary")
    assert secretary.post(reverse("notice_share", args=[published.pk])).status_code == 302
    share = NoticeShare.objects.get(notice=published, revoked_at__isnull=True)
    assert len(share.token) >= 40
    page = secretary.get(reverse("notice_share", args=[published.pk])).content.decode()
    assert share.token in page
    response = Client().get(reverse("notice_shared", args=[share.token]))
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "no-referrer"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex' in html
    assert published.title in html and county.member.name in html
    member = county.member
    for private in (member.id_number, member.masked_id_number, member.birth_date.isoformat()):
        assert private not in html
    # Nobody else's notice: the other branches' names are not on it.
    assert county.member_z.name not in html


def test_a_revoked_link_is_404_and_others_cannot_share(county, published):
    secretary = county.client("secretary")
    secretary.post(reverse("notice_share", args=[published.pk]))
    token = NoticeShare.objects.get().token
    secretary.post(reverse("notice_share", args=[published.pk]), {"action": "revoke"})
    assert Client().get(reverse("notice_shared", args=[token])).status_code == 404
    assert Client().get(reverse("notice_shared", args=["x" * 43])).status_code == 404
    for persona in ("assessor", "township", "secretary_y"):
        response = county.client(persona).post(reverse("notice_share", args=[published.pk]))
        assert response.status_code == 404
    assert NoticeShare.objects.filter(revoked_at__isnull=True).count() == 0


def test_a_notice_not_yet_published_cannot_be_shared(county, published):
    from evaluations.models import Notice

    Notice.objects.filter(pk=published.pk).update(status=Notice.Status.APPROVED)
    county.client("secretary").post(reverse("notice_share", args=[published.pk]))
    assert NoticeShare.objects.count() == 0
