"""Form fields shared by every app."""

from __future__ import annotations

import uuid

from django import forms

from core.text import clean_text

__all__ = ["CleanCharField", "ConfirmDuplicateMixin", "OneTimeKeyMixin"]


class CleanCharField(forms.CharField):
    """A CharField whose value goes through :func:`core.text.clean_text`: normalised, trimmed,
    and refused with a plain message when it hides invisible or control characters.

    ``multiline=True`` (a textarea) allows line breaks and tabs inside the text. The length
    limit applies to the normalised text.
    """

    def __init__(self, *args, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        label = str(self.label) if self.label else "输入的内容"
        return clean_text(value, multiline=self.multiline, label=label)


class OneTimeKeyMixin(forms.Form):
    """A create form's one-time key (a hidden field, new at each blank form): a second POST with
    the same key — a double click, a retry on a bad connection — is answered with the first one's
    result instead of creating a second row (see core.submissions.once)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


class ConfirmDuplicateMixin(forms.Form):
    """An entry that looks like one already made is saved only when confirmed: the service
    refuses with an error on ``confirm_duplicate``, and the form then shows the checkbox."""

    confirm_duplicate = forms.BooleanField(
        label="确认重复登记", required=False, widget=forms.HiddenInput
    )

    def show_duplicate_confirmation(self) -> None:
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
