"""Thin views over rewards.services: look the object up for the user (another scope's object is
404), check the method, call the service, show its refusal on the form."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.forms import OneTimeKeyMixin
from core.submissions import once
from core.web import FIRST_YEAR, LAST_YEAR, apply_validation_error, methods, scoped
from core.xlsx import Column, XlsxExporter
from members.models import Member
from members.scope import get_branch, get_county, get_township
from rewards import services, statements
from rewards.forms import (
    AdjustForm,
    CardForm,
    CollectForm,
    DecideForm,
    GoodsForm,
    IncomeForm,
    LimitForm,
    ProposeForm,
    ReceiptForm,
    ReverseForm,
    RuleForm,
)
from rewards.models import (
    ExchangeLimit,
    ExchangeRule,
    FundIncome,
    FundPayment,
    Goods,
    Redemption,
    Shop,
)

NOT_FOUND_CARD = "未找到这张积分卡（卡号有误、二维码已停用，或不是本超市服务的村）。"


# --- Look-ups -----------------------------------------------------------------------------------


def get_shop(request, pk) -> Shop:
    """A shop the user may read (serves it, or its township's / county's official)."""
    return get_object_or_404(
        Shop.objects.visible_to(request.user).select_related("township"), pk=pk
    )


def get_served_shop(request, pk) -> Shop:
    """A shop the user serves at the counter; any other shop is 404."""
    return get_object_or_404(
        Shop.objects.for_server(request.user).select_related("township"), pk=pk
    )


def get_redemption(request, pk) -> Redemption:
    return get_object_or_404(
        Redemption.objects.filter(shop__in=Shop.objects.for_server(request.user)).select_related(
            "shop", "member__branch"
        ),
        pk=pk,
    )


def get_fund_township(request, pk):
    """The township's red fund pages: its officials and the county admin (others 404)."""
    return get_township(request, pk)


def get_payment(request, pk) -> FundPayment:
    payment = get_object_or_404(
        FundPayment.objects.select_related("fund__township", "member__branch"), pk=pk
    )
    get_township(request, payment.fund.township_id)  # 404 outside the user's scope
    return payment


def _require_fund_official(request, township):
    if not services.is_fund_official(request.user, township):
        raise Http404


def _year(request) -> int:
    raw = request.GET.get("year", "")
    today = timezone.localdate()
    if not raw:
        return today.year
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        raise Http404
    return int(raw)


# --- Shops --------------------------------------------------------------------------------------


@methods("GET")
def shops(request):
    """The shops the user may read; a shopkeeper with one shop goes straight to its counter."""
    visible = list(Shop.objects.visible_to(request.user).select_related("township"))
    served = set(Shop.objects.for_server(request.user).values_list("pk", flat=True))
    if len(visible) == 1 and visible[0].pk in served and not hasattr(request.user, "official"):
        return redirect("shop_counter", pk=visible[0].pk)
    return render(request, "rewards/shops.html", {"shops": visible, "served": served})


def _goods_choices(shop):
    return [(g.pk, str(g)) for g in shop.goods.filter(active=True)]


def _shop_context(request, shop, **forms_):
    goods = list(shop.goods.all())
    stock = services.stock_levels([g.pk for g in goods])
    today = timezone.localdate()
    choices = _goods_choices(shop)
    context = {
        "shop": shop,
        "goods": [(g, stock.get(g.pk, 0)) for g in goods],
        "can_serve": services.can_serve(request.user, shop),
        "today": today,
        "goods_form": forms_.get("goods_form") or GoodsForm(),
        "receipt_form": forms_.get("receipt_form")
        or ReceiptForm(goods_choices=choices, initial={"on_date": today}),
        "adjust_form": forms_.get("adjust_form") or AdjustForm(goods_choices=choices),
        "recent": shop.redemptions.select_related("member")[:20]
        if services.can_serve(request.user, shop)
        else [],
    }
    return context


@scoped(get_shop, "GET")
def shop(request, shop):
    return render(request, "rewards/shop.html", _shop_context(request, shop))


@scoped(get_served_shop, "POST")
@once
def goods_create(request, shop):
    form = GoodsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.goods_create(
                shop=shop,
                name=data["name"],
                unit=data["unit"],
                price=data["price"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已添加商品：{data['name']}。")
            return redirect("shop", pk=shop.pk)
    return render(request, "rewards/shop.html", _shop_context(request, shop, goods_form=form))


def _goods_of(shop, pk) -> Goods:
    return get_object_or_404(Goods, shop=shop, pk=pk)


@scoped(get_served_shop, "POST")
@once
def stock_receive(request, shop):
    form = ReceiptForm(request.POST, goods_choices=_goods_choices(shop))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_receive(
                goods=_goods_of(shop, data["goods"]),
                quantity=data["quantity"],
                source=data["source"],
                amount_yuan=data["amount_yuan"],
                donor=data["donor"],
                on_date=data["on_date"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "入库已登记。")
            return redirect("shop", pk=shop.pk)
    return render(request, "rewards/shop.html", _shop_context(request, shop, receipt_form=form))


@scoped(get_served_shop, "POST")
@once
def stock_adjust(request, shop):
    form = AdjustForm(request.POST, goods_choices=_goods_choices(shop))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_adjust(
                goods=_goods_of(shop, data["goods"]),
                quantity=data["quantity"],
                reason=data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "库存调整已登记。")
            return redirect("shop", pk=shop.pk)
    return render(request, "rewards/shop.html", _shop_context(request, shop, adjust_form=form))


# --- The counter --------------------------------------------------------------------------------


class ConfirmForm(OneTimeKeyMixin):
    """Only the one-time key: the confirmed redemption is saved once however often it is sent."""


def _wanted(request, goods) -> list[tuple[Goods, int]]:
    """The quantities typed on the pick page (``qty_<goods id>``); bad numbers are refused."""
    chosen = []
    for g in goods:
        raw = request.POST.get(f"qty_{g.pk}", "").strip()
        if not raw or raw == "0":
            continue
        if not raw.isdigit() or int(raw) > services.MAX_QUANTITY:
            raise ValidationError(f"{g.name}的数量须为 1 到 {services.MAX_QUANTITY} 的整数。")
        chosen.append((g, int(raw)))
    if not chosen:
        raise ValidationError("请至少选择一件商品。")
    return chosen


@scoped(get_served_shop, "GET", "POST")
@once
def shop_counter(request, shop):
    """Type the card number → see name, branch, balance → pick goods and who collects →
    confirm → receipt. Only the last step writes; every other step is read-only."""
    step = request.POST.get("step", "") if request.method == "POST" else ""
    card_form = CardForm(request.POST if step else None)
    context = {"shop": shop, "card_form": card_form}
    if not step or not card_form.is_valid():
        return render(request, "rewards/counter.html", context)
    member = services.find_customer(shop, card_form.cleaned_data["card"])
    if member is None:
        card_form.add_error("card", NOT_FOUND_CARD)
        return render(request, "rewards/counter.html", context)
    goods = list(shop.goods.filter(active=True))
    stock = services.stock_levels([g.pk for g in goods])
    balance = services.balance_of(member)
    collect_form = CollectForm(request.POST if step in ("review", "redeem") else None)
    context.update(
        member=member,
        balance=balance,
        goods=[(g, stock.get(g.pk, 0), request.POST.get(f"qty_{g.pk}", "")) for g in goods],
        collect_form=collect_form,
        card=card_form.cleaned_data["card"],
    )
    if step == "lookup":
        return render(request, "rewards/counter_pick.html", context)
    try:
        chosen = _wanted(request, goods)
    except ValidationError as error:
        context["error"] = error.messages[0]
        return render(request, "rewards/counter_pick.html", context)
    if not collect_form.is_valid():
        return render(request, "rewards/counter_pick.html", context)
    collected_by = collect_form.cleaned_data["collected_by"]
    if step == "review":
        lines = [(g, q, g.price * q) for g, q in chosen]
        total = sum((p for _g, _q, p in lines), start=services.ZERO)
        context.update(
            lines=lines,
            total=total,
            after=balance - total,
            collected_by=collected_by,
            confirm_form=ConfirmForm(),
        )
        return render(request, "rewards/counter_confirm.html", context)
    try:
        redemption = services.redeem(
            shop=shop,
            member=member,
            items=[(g.pk, q) for g, q in chosen],
            collected_by=collected_by,
            by=request.user,
        )
    except ValidationError as error:
        context["error"] = "；".join(error.messages)
        return render(request, "rewards/counter_pick.html", context)
    messages.success(request, f"已兑换，共 {redemption.total_points} 兑换积分。")
    return redirect("redemption_receipt", pk=redemption.pk)


@scoped(get_redemption, "GET")
def redemption_receipt(request, redemption):
    """The 58 mm receipt: the shop, the time, the member and who collected, the goods."""
    return render(
        request,
        "rewards/receipt.html",
        {
            "r": redemption,
            "lines": redemption.lines.select_related("goods"),
            "balance": services.balance_of(redemption.member),
            "reverse_form": ReverseForm(),
        },
    )


@scoped(get_redemption, "POST")
def redemption_reverse(request, redemption):
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.redemption_reverse(
                redemption=redemption, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "已撤销：兑换积分和商品已退回。")
    else:
        messages.error(request, "撤销兑换请写明原因。")
    return redirect("redemption_receipt", pk=redemption.pk)


# --- The shop's monthly statement ---------------------------------------------------------------


def _month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise Http404


@scoped(get_shop, "GET")
def shop_statement(request, shop, year, month):
    _month(year, month)
    data = statements.shop_month(shop, year, month)
    return render(request, "rewards/shop_statement.html", {"s": data, "shop": shop})


class ShopStatementExport(XlsxExporter):
    title = "月度公示"
    columns = [
        Column("品名", 16),
        Column("单位", 6),
        Column("兑换价", 8),
        Column("月初库存", 10),
        Column("入库", 8),
        Column("兑换出库", 10),
        Column("盘点调整", 10),
        Column("撤销退回", 10),
        Column("月末库存", 10),
    ]


@scoped(get_shop, "GET")
def shop_statement_export(request, shop, year, month):
    _month(year, month)
    data = statements.shop_month(shop, year, month)
    exporter = ShopStatementExport()
    for item in data.items:
        exporter.write_row(
            [
                item.name,
                item.unit,
                item.price,
                item.opening,
                item.received,
                item.redeemed,
                item.adjusted,
                item.returned,
                item.closing,
            ]
        )
    exporter.add_sheet("合计", [Column("项目", 16), Column("数值", 12)])
    exporter.write_row(["兑换积分合计", data.points_redeemed])
    exporter.write_row(["兑换笔数", data.redemptions])
    exporter.write_row(["服务户数", data.households])
    exporter.write_row(["购入物品金额（元）", data.bought_yuan])
    return exporter.as_response(f"{shop.name}{year}年{month}月公示.xlsx")


# --- The red fund -------------------------------------------------------------------------------


def _fund_context(request, township, **forms_):
    fund = services.fund_for_read(township)
    members = Member.objects.filter(
        branch__township=township, status=Member.Status.ACTIVE
    ).select_related("branch")
    payments = (
        FundPayment.objects.filter(fund__township=township)
        .select_related("member__branch", "proposed_by", "approved_by")
        .order_by("-proposed_at", "-pk")[:100]
    )
    incomes = FundIncome.objects.filter(fund__township=township).order_by("-received_on", "-pk")
    return {
        "township": township,
        "balance": services.fund_balance(fund) if fund else services.ZERO,
        "incomes": incomes[:100],
        "income_total": services.q2(incomes.aggregate(s=Sum("amount"))["s"] or 0),
        "payments": payments,
        "is_official": services.is_fund_official(request.user, township),
        "year": timezone.localdate().year,
        "income_form": forms_.get("income_form")
        or IncomeForm(initial={"received_on": timezone.localdate()}),
        "propose_form": forms_.get("propose_form")
        or ProposeForm(member_choices=[(m.pk, f"{m.name}（{m.branch.name}）") for m in members]),
        "decide_form": DecideForm(initial={"paid_on": timezone.localdate()}),
    }


@scoped(get_fund_township, "GET")
def red_fund(request, township):
    return render(request, "rewards/red_fund.html", _fund_context(request, township))


@scoped(get_fund_township, "POST")
@once
def fund_income(request, township):
    _require_fund_official(request, township)
    form = IncomeForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            services.fund_income(
                township=township,
                source=data["source"],
                source_name=data["source_name"],
                amount=data["amount"],
                received_on=data["received_on"],
                doc_no=data["doc_no"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "收入已登记。")
            return redirect("red_fund", pk=township.pk)
    return render(
        request, "rewards/red_fund.html", _fund_context(request, township, income_form=form)
    )


@scoped(get_fund_township, "POST")
@once
def payment_propose(request, township):
    _require_fund_official(request, township)
    members = Member.objects.filter(branch__township=township).select_related("branch")
    form = ProposeForm(
        request.POST, member_choices=[(m.pk, f"{m.name}（{m.branch.name}）") for m in members]
    )
    if form.is_valid():
        data = form.cleaned_data
        member = members.filter(pk=data["member"]).first() if data["member"] else None
        try:
            services.payment_propose(
                township=township,
                purpose=data["purpose"],
                amount=data["amount"],
                reason=data["reason"],
                member=member,
                payee=data["payee"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "支出申请已提交，待另一位乡镇干部审批。")
            return redirect("red_fund", pk=township.pk)
    return render(
        request, "rewards/red_fund.html", _fund_context(request, township, propose_form=form)
    )


@scoped(get_payment, "POST")
def payment_decide(request, payment):
    township = payment.fund.township
    _require_fund_official(request, township)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "操作无效，请刷新页面后重试。")
        return redirect("red_fund", pk=township.pk)
    data = form.cleaned_data
    try:
        if data["action"] == "approve":
            services.payment_approve(payment=payment, by=request.user, comment=data["comment"])
            done = "已审批同意。"
        elif data["action"] == "reject":
            services.payment_reject(payment=payment, by=request.user, comment=data["comment"])
            done = "已不予批准。"
        else:
            services.payment_pay(
                payment=payment,
                paid_on=data["paid_on"] or timezone.localdate(),
                doc_no=data["doc_no"],
                by=request.user,
            )
            done = "已登记支付。"
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "；".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, done)
    return redirect("red_fund", pk=township.pk)


@scoped(get_fund_township, "GET")
def fund_statement(request, township, year):
    fund = services.fund_for_read(township)
    data = statements.fund_year(fund, year) if fund else None
    return render(
        request,
        "rewards/fund_statement.html",
        {"township": township, "year": year, "s": data},
    )


@scoped(get_fund_township, "GET")
def fund_statement_export(request, township, year):
    fund = services.fund_for_read(township)
    exporter = XlsxExporter()
    exporter.add_sheet("收入", [Column("来源", 16), Column("金额（元）", 14)])
    data = statements.fund_year(fund, year) if fund else None
    if data:
        for label, amount in data.income_by_source:
            exporter.write_row([label, amount])
        exporter.write_row(["合计", data.income_total])
    exporter.add_sheet("支出", [Column("用途", 24), Column("笔数", 8), Column("金额（元）", 14)])
    if data:
        for row in data.by_purpose:
            exporter.write_row([row["purpose"], row["count"], row["total"]])
        exporter.write_row(["合计", "", data.paid_total])
    exporter.add_sheet(
        "奖励名单", [Column("姓名", 10), Column("党支部", 20), Column("金额（元）", 14)]
    )
    if data:
        for row in data.rewards:
            exporter.write_row([row["member"], row["branch"], row["amount"]])
    return exporter.as_response(f"{township.name}{year}年红色基金收支公示.xlsx")


# --- The branch's exchange rule -----------------------------------------------------------------


@scoped(get_branch, "GET", "POST")
@once
def exchange_rule(request, branch):
    """The rule in force, its versions, and (for the secretary) a form for a new version."""
    official = getattr(request.user, "official", None)
    may_edit = official is not None and official.is_secretary_of(branch)
    today = timezone.localdate()
    current = services.rule_in_force(branch, today)
    form = None
    if may_edit:
        initial = {k: getattr(current, k) for k in ExchangeRule.DEFAULTS}
        form = RuleForm(request.POST or None, initial={**initial, "valid_from": today})
    elif request.method == "POST":
        raise Http404
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "submission_key"}
        try:
            services.rule_set(branch=branch, by=request.user, **data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "兑换规则已保存。")
            return redirect("exchange_rule", pk=branch.pk)
    limit = ExchangeLimit.objects.filter(township_id=branch.township_id).first()
    return render(
        request,
        "rewards/exchange_rule.html",
        {
            "branch": branch,
            "current": current,
            "versions": branch.exchange_rules.all(),
            "limit": limit,
            "form": form,
        },
    )


# --- The township's limits on the exchange rules ------------------------------------------------


LIMIT_NAMES = [limit_name for limit_name, _label in services.LIMIT_FIELDS.values()]


@scoped(get_township, "GET", "POST")
def exchange_limits(request, township):
    """The township's officials set the ceilings; the county admin reads them (and each
    branch's rule beside them)."""
    official = getattr(request.user, "official", None)
    may_edit = official is not None and official.is_township
    if request.method == "POST" and not may_edit:
        raise Http404
    limit = ExchangeLimit.objects.filter(township=township).first()
    current = limit or ExchangeLimit(township=township)  # unsaved: the model's defaults
    form = None
    if may_edit:
        initial = {name: getattr(current, name) for name in LIMIT_NAMES}
        form = LimitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.limit_set(township=township, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "兑换积分上限已保存。")
            return redirect("exchange_limits", pk=township.pk)
    rules = services.rules_in_force_and_later(
        township.branches.order_by("position", "pk"), timezone.localdate()
    )
    return render(
        request,
        "rewards/exchange_limits.html",
        {
            "township": township,
            "limit": limit,
            "current": current,
            "rules": [(branch, versions[0]) for branch, versions in rules.items()],
            "form": form,
        },
    )


# --- The county ---------------------------------------------------------------------------------


@scoped(get_county, "GET")
def county_rewards(request, county, year):
    return render(
        request,
        "rewards/county.html",
        {
            "county": county,
            "year": year,
            "funds": statements.county_funds(county, year),
            "shops": statements.county_shops(county, year),
        },
    )


def statement_url(shop, day: datetime.date) -> str:
    return reverse("shop_statement", args=[shop.pk, day.year, day.month])
