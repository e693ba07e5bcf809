"""The web layer's few shared helpers: one way to guard HTTP methods, one way to put a service's
refusal on a form, and the year in a URL.

Scope before method: a view decorated with ``scoped(get_x, "POST")`` first looks the object up
for the current user (``get_x`` raises 404 outside their county, township or branch), and only
then answers 405 to a method it does not take. So a page of another village answers 404 to GET
and POST alike, and a 405 never confirms that an object exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "YearConverter",
    "apply_validation_error",
    "methods",
    "scoped",
]

# The years a URL may name. A points system started in the 2020s; 2000–2099 leaves room both
# ways and keeps 1900 and 9999 out of every query.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class YearConverter:
    """``<year:year>`` in a URL: 2000–2099, anything else is no match (404)."""

    regex = "20[0-9]{2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        if not FIRST_YEAR <= int(value) <= LAST_YEAR:
            raise ValueError(f"year out of range: {value}")
        return str(int(value))


def _allowed(methods_: tuple[str, ...]) -> tuple[str, ...]:
    methods_ = tuple(m.upper() for m in methods_) or ("GET",)
    return (*methods_, "HEAD") if "GET" in methods_ and "HEAD" not in methods_ else methods_


def scoped(lookup: Callable, *allowed: str):
    """Look the URL's object up for the user, then check the method, then call the view with the
    object in place of ``pk``::

        @scoped(get_branch, "GET", "POST")
        def month_screen(request, branch, year, month): ...

    ``lookup(request, pk)`` (or ``lookup(request)`` for a URL without ``pk``, such as the county
    admin's own county) raises Http404 for anything the user may not see.
    """
    allowed = _allowed(allowed)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            obj = lookup(request, kwargs.pop("pk")) if "pk" in kwargs else lookup(request)
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            return view(request, obj, *args, **kwargs)

        wrapper.allowed_methods = allowed
        return wrapper

    return decorator


def methods(*allowed: str):
    """The method check for a view that looks nothing up (the home page, the login pages)."""
    allowed = _allowed(allowed)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            return view(request, *args, **kwargs)

        wrapper.allowed_methods = allowed
        return wrapper

    return decorator


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, next to the field it names if the form has
    that field, otherwise at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            if field == "confirm_duplicate" and hasattr(form, "show_duplicate_confirmation"):
                form.show_duplicate_confirmation()
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
