from django.urls import path

from rewards import views as V

urlpatterns = [
    # The village shop (爱心超市)
    path("shops/", V.shops, name="shops"),
    path("shops/<int:pk>/", V.shop, name="shop"),
    path("shops/<int:pk>/goods/new/", V.goods_create, name="goods_create"),
    path("shops/<int:pk>/stock/receive/", V.stock_receive, name="stock_receive"),
    path("shops/<int:pk>/stock/adjust/", V.stock_adjust, name="stock_adjust"),
    path("shops/<int:pk>/counter/", V.shop_counter, name="shop_counter"),
    path(
        "shops/<int:pk>/statement/<year:year>/<int:month>/",
        V.shop_statement,
        name="shop_statement",
    ),
    path(
        "shops/<int:pk>/statement/<year:year>/<int:month>.xlsx",
        V.shop_statement_export,
        name="shop_statement_export",
    ),
    path("redemptions/<int:pk>/", V.redemption_receipt, name="redemption_receipt"),
    path("redemptions/<int:pk>/reverse/", V.redemption_reverse, name="redemption_reverse"),
    # The township's red fund (红色基金)
    path("townships/<int:pk>/red-fund/", V.red_fund, name="red_fund"),
    path("townships/<int:pk>/red-fund/income/", V.fund_income, name="fund_income"),
    path("townships/<int:pk>/red-fund/payments/new/", V.payment_propose, name="payment_propose"),
    path("fund-payments/<int:pk>/", V.payment_decide, name="payment_decide"),
    path(
        "townships/<int:pk>/red-fund/<year:year>/statement/",
        V.fund_statement,
        name="fund_statement",
    ),
    path(
        "townships/<int:pk>/red-fund/<year:year>/statement.xlsx",
        V.fund_statement_export,
        name="fund_statement_export",
    ),
    # The branch's exchange rule
    path("branches/<int:pk>/exchange-rule/", V.exchange_rule, name="exchange_rule"),
    path("townships/<int:pk>/exchange-limits/", V.exchange_limits, name="exchange_limits"),
    # The county
    path("county/rewards/<year:year>/", V.county_rewards, name="county_rewards"),
]
