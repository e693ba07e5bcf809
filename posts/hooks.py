"""posts' links on scoring's pages, registered from PostsConfig.ready() (scoring.hooks)."""

from __future__ import annotations

from django.urls import reverse


def card_self_link(member, token):
    return ("本人申报 / 流动党员报到（需申报密码）", reverse("card_self", args=[token]))


def month_migrants_link(branch, year, month):
    return ("流动党员报到情况", reverse("migrants_branch", args=[branch.pk, year, month]))


def month_posts_link(branch, year, month):
    return ("设岗定责·季度评定", reverse("posts_branch", args=[branch.pk, year]))


def register():
    from scoring import hooks

    for registry, hook in (
        (hooks.card_public_links, card_self_link),
        (hooks.month_links, month_migrants_link),
        (hooks.month_links, month_posts_link),
    ):
        if hook not in registry:
            registry.append(hook)
