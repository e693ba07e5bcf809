"""The county admin's page of locked-out logins (county/logins/)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from core.web import scoped
from members import accounts
from members.scope import get_county


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=150)


@scoped(get_county, "GET", "POST")  # county admins only; everyone else 404
def county_logins(request, county):
    """Current lockouts of the county's officials, each with an "解除锁定" button."""
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if not form.is_valid():
            raise Http404
        username = form.cleaned_data["username"]
        try:
            accounts.unlock(county=county, username=username, by=request.user)
        except LookupError:
            raise Http404 from None  # not one of this county's officials
        messages.success(request, f"已解除账号 {username} 的登录锁定，可以重新登录。")
        return redirect("county_logins")
    return render(
        request,
        "members/county_logins.html",
        {
            "county": county,
            "lockouts": accounts.county_lockouts(county),
            "limit": settings.AXES_FAILURE_LIMIT,
        },
    )
