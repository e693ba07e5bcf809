"""Roster export and the two-step Excel import (upload → preview → confirm).

Between preview and confirm the uploaded file waits in MEDIA_ROOT/roster-imports/ under a random
name; the form carries that name signed (salt per branch and user) together with a fingerprint
of the preview, so a confirm applies exactly the file this user previewed for this branch, and
only if the database still gives the same preview. The session never holds the file.

The scope look-up comes before the method check, so another branch's URL answers 404 whatever
the method (a 405 would confirm that the branch exists).
"""

from __future__ import annotations

import datetime
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.utils import timezone

from core.web import scoped
from core.xlsx import Column, XlsxExporter
from members import roster
from members.models import Branch, Member
from members.scope import get_branch, official_of, require_roster_manager

UPLOAD_DIR = "roster-imports"
UPLOAD_MAX_AGE = 2 * 60 * 60  # seconds a previewed file may wait for its confirm
MSG_EXPIRED = "这次导入已失效（已经导入过，或上传已超过两小时），请重新上传文件。"


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="花名册文件",
        help_text=f"Excel 工作簿（.xlsx），不超过 {settings.MAX_UPLOAD_BYTES // 1024 // 1024} MB。",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={"required": "请选择要上传的花名册文件。", "empty": "上传的文件是空的。"},
    )


class RosterConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class RosterExport(XlsxExporter):
    title = "党员花名册"
    columns = [
        Column("序号", 6),
        Column("姓名", 10),
        Column("性别", 6),
        Column("身份证号", 22, is_text=True),
        Column("联系电话", 15, is_text=True),
        Column("入党日期", 12),
        Column("类别", 6),
        Column("党籍状态", 10),
        Column("挂牌", 6),
        Column("积分卡号", 14, is_text=True),
        Column("备注", 30),
    ]


@scoped(get_branch, "GET")
def roster_export(request, branch):
    """The branch's roster, members on the roll first; ID numbers masked except for the county."""
    full_ids = official_of(request).sees_full_id_numbers()
    members = sorted(
        branch.members.with_current_category(),
        key=lambda member: member.status != Member.Status.ACTIVE,
    )
    export = RosterExport()
    for number, member in enumerate(members, start=1):
        category = member.current_category
        export.write_row(
            [
                number,
                member.name,
                member.get_gender_display(),
                member.id_number if full_ids else member.masked_id_number,
                member.phone,
                member.joined_party,
                f"{category}类" if category else "",
                member.get_status_display(),
                "是" if member.has_plaque else "否",
                member.card_number,
                member.notes,
            ]
        )
    today = timezone.localdate()
    return export.as_response(f"{branch.township.name}{branch.name}党员花名册{today:%Y%m%d}.xlsx")


def _managed_branch(request, pk) -> Branch:
    """The branch, for its roster manager only: anyone else gets 404 before any 405."""
    branch = get_branch(request, pk)
    require_roster_manager(request, branch)
    return branch


@scoped(_managed_branch, "GET")
def roster_template(request, branch):
    return roster.build_template(branch).as_response(f"{branch.name}党员名册导入模板.xlsx")


@scoped(_managed_branch, "GET", "POST")
def roster_import(request, branch):
    official = official_of(request)
    if request.method != "POST":
        return _render_upload(request, branch, RosterUploadForm())
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, branch, form)
    upload = form.cleaned_data["file"]
    try:
        roster.check_upload(upload)
        preview = roster.parse_roster(upload, branch, viewer=official)
    except ValueError as error:
        form.add_error("file", str(error))
        return _render_upload(request, branch, form)
    token = None
    if preview.has_changes and not preview.has_errors:
        _sweep_stale_uploads()
        path = default_storage.save(f"{UPLOAD_DIR}/{secrets.token_hex(16)}.xlsx", upload)
        token = _sign(request, branch, path, preview)
    return _render_preview(request, branch, preview, token)


@scoped(_managed_branch, "POST")
def roster_import_confirm(request, branch):
    official = official_of(request)
    form = RosterConfirmForm(request.POST)
    payload = _unsign(request, branch, form.cleaned_data["token"]) if form.is_valid() else None
    if payload is None or not default_storage.exists(payload["path"]):
        messages.error(request, MSG_EXPIRED)
        return redirect("roster_import", pk=branch.pk)
    path = payload["path"]
    # Validate again: since the preview, an ID may have been registered elsewhere.
    try:
        with default_storage.open(path, "rb") as stored:
            roster.check_upload(stored)
            preview = roster.parse_roster(stored, branch, viewer=official)
    except ValueError as error:
        default_storage.delete(path)
        messages.error(request, str(error))
        return redirect("roster_import", pk=branch.pk)
    if preview.has_errors:
        default_storage.delete(path)
        notice = "在您确认之前，系统中的数据发生了变化，下列行现在不能导入。未导入任何数据。"
        return _render_preview(request, branch, preview, None, notice=notice)
    if preview.fingerprint() != payload["fingerprint"]:
        notice = "在您确认之前，本支部的名册有了变化，预览已按最新数据更新，请核对后再次确认。"
        token = None
        if preview.has_changes:
            token = _sign(request, branch, path, preview)
        else:
            default_storage.delete(path)
        return _render_preview(request, branch, preview, token, notice=notice)
    try:
        result = roster.apply_roster(preview, branch, request.user)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("roster_import", pk=branch.pk)
    finally:
        default_storage.delete(path)
    messages.success(request, f"已导入：新增 {result.created} 名，更新 {result.updated} 名。")
    return redirect("branch", pk=branch.pk)


def _render_upload(request, branch: Branch, form: RosterUploadForm):
    return render(request, "members/roster_import.html", {"branch": branch, "form": form})


def _render_preview(request, branch: Branch, preview, token: str | None, *, notice: str = ""):
    return render(
        request,
        "members/roster_preview.html",
        {
            "branch": branch,
            "preview": preview,
            "counts": preview.counts,
            "rows": preview.rows_for_display(),
            "confirm_form": RosterConfirmForm(initial={"token": token}) if token else None,
            "upload_form": RosterUploadForm() if preview.has_errors else None,
            "notice": notice,
            "roll_month": timezone.localdate().replace(day=1),
        },
    )


def _salt(request, branch: Branch) -> str:
    return f"members.roster-import:{branch.pk}:{request.user.pk}"


def _sign(request, branch: Branch, path: str, preview) -> str:
    payload = {"path": path, "fingerprint": preview.fingerprint()}
    return signing.dumps(payload, salt=_salt(request, branch), compress=True)


def _unsign(request, branch: Branch, token: str) -> dict | None:
    try:
        payload = signing.loads(token, salt=_salt(request, branch), max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    path = payload.get("path") if isinstance(payload, dict) else None
    if not isinstance(path, str) or not path.startswith(f"{UPLOAD_DIR}/") or ".." in path:
        return None
    return payload


def _sweep_stale_uploads() -> None:
    """Delete previewed files nobody confirmed: they hold ID numbers, so they do not linger."""
    try:
        _directories, files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - datetime.timedelta(seconds=UPLOAD_MAX_AGE)
    for name in files:
        path = f"{UPLOAD_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except OSError:
            continue
