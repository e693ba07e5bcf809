"""The branch's posts and pledges, the quarterly rating, the yearly summary, the member's PIN,
migrant report-in lists and notice sharing: the logged-in side. Views are thin: scoped look-up,
form, service, redirect. (The member's own side behind the card link is posts.self_views.)"""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.submissions import once
from core.web import apply_validation_error, scoped
from core.xlsx import Column, XlsxExporter, attachment_header
from members.card_links import active_link, card_link_panel, card_link_path
from members.models import Member, Township
from members.scope import (
    get_branch,
    get_county,
    get_member,
    get_township,
    official_of,
    require_points_clerk,
    require_secretary,
)
from posts import services
from posts.forms import (
    CopyTemplatesForm,
    EndForm,
    HoldingForm,
    PledgeForm,
    PostEditForm,
    PostForm,
    RatingForm,
)
from posts.models import MemberPin, NoticeShare, Post, PostHolding, PostRating

QUARTERS = (1, 2, 3, 4)


def get_post(request, pk) -> Post:
    return get_object_or_404(
        Post.objects.visible_to(request.user).select_related("branch__township"), pk=pk
    )


def get_holding(request, pk) -> PostHolding:
    return get_object_or_404(
        PostHolding.objects.visible_to(request.user).select_related(
            "member", "post__branch__township"
        ),
        pk=pk,
    )


def _posts_url(branch, year) -> str:
    return reverse("posts_branch", args=[branch.pk, year])


def _holdings(branch, year):
    """The year's holdings of the branch with member, post, pledge and ratings: 3 queries."""
    return (
        PostHolding.objects.filter(post__branch=branch, year=year)
        .select_related("member", "post", "pledge")
        .prefetch_related(
            Prefetch("ratings", queryset=PostRating.objects.select_related("declaration"))
        )
        .order_by("post__pk", "member__name_sort", "pk")
    )


def _holding_form(branch, year, data=None):
    taken = PostHolding.objects.filter(year=year).current().values("member_id")
    return HoldingForm(
        data,
        members=branch.members.filter(status=Member.Status.ACTIVE).exclude(pk__in=taken),
        posts=Post.objects.filter(branch=branch, active=True),
        prefix="holding",
    )


def _branch_page(request, branch, year, forms: dict | None = None):
    official = official_of(request)
    can_enter = official.can_enter_points(branch)
    is_secretary = official.is_secretary_of(branch)
    posts = list(Post.objects.filter(branch=branch))
    holdings = list(_holdings(branch, year))
    by_post: dict[int, list] = {p.pk: [] for p in posts}
    for h in holdings:
        by_post[h.post_id].append(h)
    for p in posts:
        p.year_holdings = by_post[p.pk]
        p.taken = sum(1 for h in p.year_holdings if h.status != PostHolding.Status.ENDED)
    forms = dict(forms or {})
    if is_secretary:
        forms.setdefault("post", PostForm(prefix="post"))
        forms.setdefault("copy", CopyTemplatesForm(prefix="copy"))
    if can_enter:
        forms.setdefault("holding", _holding_form(branch, year))
    return render(
        request,
        "posts/branch.html",
        {
            "branch": branch,
            "year": year,
            "posts": posts,
            "forms": forms,
            "can_enter": can_enter,
            "is_secretary": is_secretary,
            "quarters": QUARTERS,
        },
    )


@scoped(get_branch, "GET")
def posts_branch(request, branch, year):
    return _branch_page(request, branch, year)


@scoped(get_branch, "POST")
@once
def post_create(request, branch, year):
    official = require_secretary(request, branch)
    form = PostForm(request.POST, prefix="post")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.post_create(
                branch=branch,
                name=data["name"],
                duties=data["duties"],
                holders=data["holders"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已设立“{data['name']}”。")
            return redirect(_posts_url(branch, year))
    return _branch_page(request, branch, year, {"post": form})


@scoped(get_branch, "POST")
def posts_copy(request, branch, year):
    official = require_secretary(request, branch)
    form = CopyTemplatesForm(request.POST, prefix="copy")
    if form.is_valid():
        n = services.posts_copy_templates(
            branch=branch, templates=form.cleaned_data["templates"], by=official.user
        )
        messages.success(request, f"已选用 {n} 个岗位，请核对职责和设岗人数。")
        return redirect(_posts_url(branch, year))
    return _branch_page(request, branch, year, {"copy": form})


@scoped(get_post, "GET", "POST")
def post_edit(request, post):
    official = require_secretary(request, post.branch)
    year = timezone.localdate().year
    initial = {"name": post.name, "duties": post.duties, "holders": post.holders}
    form = PostEditForm(request.POST or None, initial={**initial, "active": post.active})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.post_update(
                post=post,
                name=data["name"],
                duties=data["duties"],
                holders=data["holders"],
                active=data["active"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "已保存。")
            return redirect(_posts_url(post.branch, year))
    return render(request, "posts/post_form.html", {"post": post, "form": form, "year": year})


@scoped(get_branch, "POST")
@once
def holding_create(request, branch, year):
    official = require_points_clerk(request, branch)
    form = _holding_form(branch, year, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            holding = services.holding_create(
                post=data["post"],
                member=data["member"],
                year=year,
                assigned=data["how"] == "assign",
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"已登记{holding.member.name}{holding.get_status_display()}“{holding.post.name}”，"
                "待支委会确认。",
            )
            return redirect(_posts_url(branch, year))
    return _branch_page(request, branch, year, {"holding": form})


def _holding_page(request, holding, forms: dict | None = None):
    official = official_of(request)
    branch = holding.post.branch
    can_enter = official.can_enter_points(branch) and holding.status != PostHolding.Status.ENDED
    ratings = {r.quarter: r for r in holding.ratings.select_related("declaration__item")}
    forms = dict(forms or {})
    pledge = getattr(holding, "pledge", None)
    if can_enter:
        forms.setdefault("pledge", PledgeForm(initial={"text": pledge.text if pledge else ""}))
        if holding.status == PostHolding.Status.CONFIRMED:
            for q in QUARTERS:
                r = ratings.get(q)
                initial = (
                    {
                        "rating": r.rating,
                        "deeds": r.deeds,
                        "disputes": r.disputes,
                        "audience": r.audience,
                        "note": r.note,
                    }
                    if r
                    else None
                )
                forms.setdefault(f"rating{q}", RatingForm(initial=initial, prefix=f"q{q}"))
    quarters = [
        {"quarter": q, "rating": ratings.get(q), "form": forms.get(f"rating{q}")} for q in QUARTERS
    ]
    return render(
        request,
        "posts/holding.html",
        {
            "holding": holding,
            "branch": branch,
            "pledge": pledge,
            "logs": holding.logs.select_related("by"),
            "quarters": quarters,
            "forms": forms,
            "can_enter": can_enter,
            "is_secretary": official.is_secretary_of(branch)
            and holding.status != PostHolding.Status.ENDED,
            "end_form": forms.get("end") or EndForm(),
        },
    )


@scoped(get_holding, "GET")
def holding_detail(request, holding):
    return _holding_page(request, holding)


@scoped(get_holding, "POST")
def holding_confirm(request, holding):
    official = require_secretary(request, holding.post.branch)
    try:
        services.holding_confirm(holding=holding, by=official.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"支委会已确认{holding.member.name}的岗位。")
    return redirect("holding", pk=holding.pk)


@scoped(get_holding, "POST")
def holding_end(request, holding):
    official = require_secretary(request, holding.post.branch)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.holding_end(
                holding=holding, by=official.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{holding.member.name}已离岗。")
            return redirect("holding", pk=holding.pk)
    return _holding_page(request, holding, {"end": form})


@scoped(get_holding, "POST")
def pledge_save(request, holding):
    official = require_points_clerk(request, holding.post.branch)
    form = PledgeForm(request.POST)
    if form.is_valid():
        try:
            services.pledge_save(holding=holding, text=form.cleaned_data["text"], by=official.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "已保存承诺。")
            return redirect("holding", pk=holding.pk)
    return _holding_page(request, holding, {"pledge": form})


@scoped(get_holding, "POST")
def rating_save(request, holding, quarter):
    official = require_points_clerk(request, holding.post.branch)
    if quarter not in QUARTERS:
        raise Http404
    form = RatingForm(request.POST, prefix=f"q{quarter}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            rating = services.rating_save(
                holding=holding, quarter=quarter, by=official.user, **data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            done = f"已保存第{quarter}季度评定：{rating.get_rating_display()}。"
            if rating.declaration_id:
                code = services.RATING_ITEM[rating.rating]
                done += f"已在{holding.year}年{quarter * 3}月提出 {code}，待支委会审议。"
            messages.success(request, done)
            return redirect(reverse("holding", args=[holding.pk]) + f"#q{quarter}")
    return _holding_page(request, holding, {f"rating{quarter}": form})


@scoped(get_holding, "GET")
def pledge_print(request, holding):
    """《党员履岗承诺书》 on A4, for signing."""
    return render(
        request,
        "posts/pledge_print.html",
        {"holding": holding, "pledge": getattr(holding, "pledge", None)},
    )


@scoped(get_branch, "GET")
def posts_board(request, branch, year):
    """The board sheet: name, post, pledge — nothing personal (DOMAIN §5, §8)."""
    rows = [
        {
            "name": h.member.name,
            "post": h.post.name,
            "pledge": pledge.text if (pledge := getattr(h, "pledge", None)) else "",
        }
        for h in PostHolding.objects.filter(post__branch=branch, year=year)
        .current()
        .select_related("member", "post", "pledge")
        .order_by("post__pk", "member__name_sort")
    ]
    return render(request, "posts/board.html", {"branch": branch, "year": year, "rows": rows})


# --- The yearly summary ---------------------------------------------------------------------------


class SummaryExport(XlsxExporter):
    title = "设岗定责年度汇总"
    columns = [
        Column("单位", 18),
        Column("设岗数", 8),
        Column("在岗人数", 8),
        Column("履职良好（人次）", 10),
        Column("基本履职（人次）", 10),
        Column("未履职（人次）", 10),
        Column("办实事（件）", 10),
        Column("调处矛盾（起）", 10),
        Column("宣讲（人次）", 10),
    ]


def _summary_response(request, *, title, year, rows, total, back, export_name, export_url, xlsx):
    if xlsx:
        exporter = SummaryExport()
        for s in [*rows, total]:
            exporter.write_row(
                [
                    s.name,
                    s.posts,
                    s.holders,
                    s.good,
                    s.basic,
                    s.failed,
                    s.deeds,
                    s.disputes,
                    s.audience,
                ]
            )
        return exporter.as_response(f"{export_name}{year}年设岗定责汇总.xlsx")
    return render(
        request,
        "posts/summary.html",
        {
            "title": title,
            "year": year,
            "rows": rows,
            "total": total,
            "back": back,
            "export_url": export_url,
        },
    )


def _total(name, rows) -> services.Summary:
    total = services.Summary(name=name)
    for s in rows:
        total.add(s)
    return total


@scoped(get_branch, "GET")
def summary_branch(request, branch, year, xlsx=False):
    s = services.summaries(branches=[branch], year=year)[branch.pk]
    s.name = branch.name
    return _summary_response(
        request,
        title=branch.full_name,
        year=year,
        rows=[],
        total=s,
        back=_posts_url(branch, year),
        export_name=branch.name,
        export_url=reverse("posts_summary_branch_export", args=[branch.pk, year]),
        xlsx=xlsx,
    )


@scoped(get_township, "GET")
def summary_township(request, township, year, xlsx=False):
    branches = list(township.branches.all())
    by_branch = services.summaries(branches=branches, year=year)
    rows = [by_branch[b.pk] for b in branches]
    return _summary_response(
        request,
        title=township.name,
        year=year,
        rows=rows,
        total=_total(f"{township.name}合计", rows),
        back=reverse("township", args=[township.pk]),
        export_name=township.name,
        export_url=reverse("posts_summary_township_export", args=[township.pk, year]),
        xlsx=xlsx,
    )


@scoped(get_county, "GET")
def summary_county(request, county, year, xlsx=False):
    from members.models import Branch

    townships = list(Township.objects.filter(county=county))
    branches = list(Branch.objects.filter(township__county=county))
    by_branch = services.summaries(branches=branches, year=year)
    rows = []
    for t in townships:
        rows.append(_total(t.name, [by_branch[b.pk] for b in branches if b.township_id == t.pk]))
    return _summary_response(
        request,
        title=f"{county.name}",
        year=year,
        rows=rows,
        total=_total(f"{county.name}合计", rows),
        back=reverse("county"),
        export_name=county.name,
        export_url=reverse("posts_summary_county_export", args=[year]),
        xlsx=xlsx,
    )


# --- The member's PIN -----------------------------------------------------------------------------


@scoped(get_member, "GET", "POST")
def member_pin(request, member):
    """The secretary issues or resets the member's PIN. The PIN is shown once, on the slip that
    the POST answers with (it is not stored, so it cannot be shown again); the card and its QR
    link never carry it."""
    official = require_secretary(request, member.branch)
    pin_row = MemberPin.objects.filter(member=member).first()
    if request.method == "POST":
        try:
            pin = services.pin_issue(member=member, by=official.user)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect("member_pin", pk=member.pk)
        response = render(
            request,
            "posts/pin_slip.html",
            {"member": member, "pin": pin, "reset": pin_row is not None},
        )
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "posts/member_pin.html",
        {
            "member": member,
            "pin_row": pin_row,
            "locked_until": services.pin_locked_until(member),
            "card_link": card_link_panel(request, member),
        },
    )


@scoped(get_member, "GET")
def member_card_qr(request, member):
    """The card link's QR code as a PNG, for the secretary to send to the member's phone
    (a chat app takes a picture, not the page's inline SVG)."""
    require_secretary(request, member.branch)
    link = active_link(member)
    if link is None:
        raise Http404
    out = io.BytesIO()
    url = request.build_absolute_uri(card_link_path(link))
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=10, border=2)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = attachment_header(f"{member.name}积分卡二维码.png")
    response["Cache-Control"] = "no-store"
    return response


# --- Migrant members' report-in -------------------------------------------------------------------


@scoped(get_branch, "GET")
def migrants_branch(request, branch, year, month):
    today = timezone.localdate()
    if not 1 <= month <= 12 or (year, month) > (today.year, today.month):
        raise Http404
    rows = services.migrant_rows(branch=branch, year=year, month=month)
    return render(
        request,
        "posts/migrants.html",
        {"branch": branch, "year": year, "month": month, "rows": rows},
    )


@scoped(get_township, "GET")
def migrants_township(request, township):
    today = timezone.localdate()
    groups = [
        {"branch": b, "rows": services.migrant_rows(branch=b, year=today.year, month=today.month)}
        for b in township.branches.all()
    ]
    return render(
        request,
        "posts/migrants_township.html",
        {"township": township, "groups": groups, "year": today.year, "month": today.month},
    )


# --- Sharing a notice -----------------------------------------------------------------------------


def get_notice(request, pk):
    from evaluations.models import Notice

    return get_object_or_404(
        Notice.objects.visible_to(request.user).select_related("branch__township"), pk=pk
    )


@scoped(get_notice, "GET", "POST")
def notice_share(request, notice):
    official = require_secretary(request, notice.branch)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                if services.share_revoke(notice=notice, by=official.user):
                    messages.success(request, "已停用分享链接，旧链接打开将显示“页面不存在”。")
            else:
                services.share_create(notice=notice, by=official.user)
                messages.success(request, "已生成分享链接，复制后发到村微信群即可。")
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        return redirect("notice_share", pk=notice.pk)
    share = NoticeShare.objects.filter(notice=notice, revoked_at__isnull=True).first()
    url = request.build_absolute_uri(reverse("notice_shared", args=[share.token])) if share else ""
    from members.card_links import qr_svg

    return render(
        request,
        "posts/notice_share.html",
        {"notice": notice, "share": share, "url": url, "qr": qr_svg(url, 40) if url else ""},
    )
