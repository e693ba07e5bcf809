"""One-time form submissions: a create form POSTed twice creates one row.

A form carrying a ``submission_key`` (core.forms.OneTimeKeyMixin) is handled inside one
transaction that first records the key. The first POST records it, runs the view and, when the
view redirects (it saved something), keeps where it redirected to. A second POST with the same
key (a double click, a browser retry on a village connection that dropped the answer) finds the
key taken — on PostgreSQL it waits for the first transaction to finish — and is sent to the same
place with a note that nothing was saved twice. A POST that fails (the form had errors) rolls the
key back with everything else, so the corrected form can be sent again with it.
"""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect

from core.models import Submission

ALREADY_SAVED = "这份表单刚才已经提交过，已保存一次，没有重复登记。"
IN_PROGRESS = "这份表单正在保存中，请稍后刷新页面查看结果，不要重复提交。"


def _key(request) -> uuid.UUID | None:
    """The form's key: the field is ``submission_key``, with the form's prefix if it has one."""
    for name, value in request.POST.items():
        if name == "submission_key" or name.endswith("-submission_key"):
            try:
                return uuid.UUID(value)
            except ValueError:
                return None
    return None


def once(view):
    """Decorate a create view that redirects after saving (POST / redirect / GET)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = _key(request) if request.method == "POST" else None
        if key is None:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Submission.objects.create(key=key, user=request.user, path=request.path)
            except IntegrityError:
                earlier = Submission.objects.filter(key=key, user=request.user).first()
                if earlier is not None and earlier.location:
                    messages.info(request, ALREADY_SAVED)
                    return redirect(earlier.location)
                return HttpResponse(
                    IN_PROGRESS, status=409, content_type="text/plain; charset=utf-8"
                )
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303):
                Submission.objects.filter(key=key).update(location=response["Location"])
            else:
                transaction.set_rollback(True)
            return response

    return wrapper
