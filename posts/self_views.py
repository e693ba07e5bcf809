"""The member's own side behind the card link (no login): after the PIN, declare for oneself
and, for a migrant member, report in; see what became of one's own declarations.

The PIN opens a session for that one member and card: the session holds the member, the card
link and the PIN's version, and each request checks all three, so reissuing the card link or
resetting the PIN ends every open session, and a session never reaches another member. Reading
the card stays open to whoever holds the link; only declaring needs the PIN.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.web import apply_validation_error, methods
from members.models import CardLink
from posts import services
from posts.forms import PinForm, ReportForm, SelfDeclarationForm
from posts.models import MemberPin, MigrantReport, Post, PostHolding
from scoring import services as scoring
from scoring.models import Declaration, RuleItem
from scoring.public_views import TOKEN_MAX_LENGTH

SESSION_KEY = "posts_self"


def _link(token: str) -> CardLink:
    """The ACTIVE link for the token, with its member; unknown and revoked are the same 404."""
    if len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    link = (
        CardLink.objects.active()
        .select_related("member__branch__township")
        .filter(token=token)
        .first()
    )
    if link is None:
        raise Http404
    return link


def _signed_in(request, link: CardLink) -> bool:
    """Whether this browser's session was opened with the PIN for this member and this card,
    and the PIN has not been reset since."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return False
    if data.get("member") != link.member_id or data.get("link") != link.pk:
        return False
    version = MemberPin.objects.filter(member_id=link.member_id).values_list("version", flat=True)
    return data.get("v") in list(version)


def _private(response):
    # The token is in the URL: never sent on as a Referer, never cached, never indexed.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _items(member):
    today = timezone.localdate()
    month = scoring.month_view(branch=member.branch, year=today.year, month=today.month)
    if month is None:
        return RuleItem.objects.none()
    return scoring.active_items(
        branch=member.branch, rule_set=month.rule_set, kind=RuleItem.Kind.BONUS
    )


def _page(request, link, *, pin_form=None, declare_form=None, report_form=None, status=200):
    member = link.member
    signed_in = _signed_in(request, link)
    today = timezone.localdate()
    context = {
        "link": link,
        "member": member,
        "signed_in": signed_in,
        "locked_until": services.pin_locked_until(member),
        "today": today,
    }
    if not signed_in:
        context["pin_form"] = pin_form or PinForm()
        context["has_pin"] = MemberPin.objects.filter(member=member).exists()
    else:
        context["declare_form"] = declare_form or SelfDeclarationForm(items=_items(member))
        context["declarations"] = list(
            Declaration.objects.filter(
                member=member, source=Declaration.Source.SELF, year__gte=today.year - 1
            )
            .select_related("item")
            .order_by("-occurred_on", "-pk")[:50]
        )
        holding = (
            PostHolding.objects.filter(member=member, year=today.year)
            .current()
            .select_related("post")
            .first()
        )
        context["holding"] = holding
        if holding is None:
            context["open_posts"] = [
                p for p in _branch_posts(member, today.year) if p.taken < p.holders
            ]
        if services.is_migrant(member, today):
            context["report"] = MigrantReport.objects.filter(
                member=member, year=today.year, month=today.month
            ).first()
            context["report_form"] = report_form or ReportForm(
                initial={"place": context["report"].place, "doing": context["report"].doing}
                if context["report"]
                else None
            )
    return _private(render(request, "posts/self.html", context, status=status))


def _branch_posts(member, year):
    taken = Count("holdings", filter=Q(holdings__year=year) & ~Q(holdings__status="ended"))
    return Post.objects.filter(branch=member.branch, active=True).annotate(taken=taken)


@login_not_required
@methods("GET", "POST")
def card_self(request, token):
    """GET: the PIN form, or once signed in the member's own page. POST: the PIN."""
    link = _link(token)
    if request.method == "GET":
        return _page(request, link)
    form = PinForm(request.POST)
    if form.is_valid():
        try:
            pin = services.pin_verify(member=link.member, pin=form.cleaned_data["pin"])
        except ValidationError as error:
            form.add_error("pin", error)
        else:
            request.session.cycle_key()  # a new session id after proving who one is
            request.session[SESSION_KEY] = {
                "member": link.member_id,
                "link": link.pk,
                "v": pin.version,
            }
            return _private(redirect("card_self", token=token))
    return _page(request, link, pin_form=form)


@login_not_required
@methods("POST")
def card_self_declare(request, token):
    link = _link(token)
    if not _signed_in(request, link):
        return _private(redirect("card_self", token=token))
    member = link.member
    form = SelfDeclarationForm(request.POST, request.FILES or None, items=_items(member))
    if until := services.pin_locked_until(member):
        form.add_error(None, services._locked_message(until))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            services.self_declare(
                member=member,
                item=data["item"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                photo=data["photo"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "duplicate" or "confirm_duplicate" in getattr(
                error, "error_dict", {}
            ):
                # The same item on the same day is already waiting: a second tap of the
                # button, or the same thing declared twice. Nothing new is saved.
                form.add_error(None, "这一天的这一项已经申报过了，不用重复申报。")
            else:
                apply_validation_error(form, error)
        else:
            messages.success(request, "已提交，等支委会审议。")
            return _private(redirect("card_self", token=token))
    return _page(request, link, declare_form=form)


@login_not_required
@methods("POST")
def card_self_report(request, token):
    link = _link(token)
    if not _signed_in(request, link):
        return _private(redirect("card_self", token=token))
    form = ReportForm(request.POST, request.FILES or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.migrant_report(
                member=link.member, place=data["place"], doing=data["doing"], photo=data["photo"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "本月已报到。")
            return _private(redirect("card_self", token=token))
    return _page(request, link, report_form=form)


@login_not_required
@methods("POST")
def card_self_leave(request, token):
    link = _link(token)
    request.session.pop(SESSION_KEY, None)
    return _private(redirect("card_self", token=link.token))


@login_not_required
@methods("GET")
def card_self_photo(request, token, declaration):
    """The photo of one of the member's own declarations; anyone else's is 404."""
    link = _link(token)
    if not _signed_in(request, link):
        raise Http404
    found = (
        Declaration.objects.filter(pk=declaration, member=link.member, source="self")
        .exclude(photo="")
        .first()
    )
    if found is None:
        raise Http404
    return _private(FileResponse(found.photo.open("rb"), content_type="image/jpeg"))


@login_not_required
@methods("POST")
def card_self_claim(request, token):
    """The member claims one of the branch's posts with a free place (自主认领)."""
    link = _link(token)
    if not _signed_in(request, link):
        return _private(redirect("card_self", token=token))
    try:
        post = Post.objects.get(
            branch=link.member.branch, active=True, pk=int(request.POST.get("post", ""))
        )
    except (ValueError, Post.DoesNotExist):
        raise Http404 from None
    try:
        services.holding_claim_self(member=link.member, post=post)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已认领“{post.name}”，等支委会确认。")
    return _private(redirect("card_self", token=token))
