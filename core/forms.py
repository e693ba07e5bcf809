"""Form fields shared by every app."""

from __future__ import annotations

from django import forms

from core.text import clean_text

__all__ = ["CleanCharField"]


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
