"""How a person who did something is named on every page: their name and role (王丽 · 村党支部书记),
never a login name, never just the branch."""

from django import template

register = template.Library()

SYSTEM = "系统"


@register.filter
def actor(user) -> str:
    if user is None:
        return ""
    if not user.is_active and user.is_superuser:  # members.permissions.system_user()
        return SYSTEM
    name = user.get_full_name() or user.get_username()
    # getattr's default catches RelatedObjectDoesNotExist (an AttributeError): no Official row.
    official = getattr(user, "official", None)
    role = official.get_role_display() if official is not None else ""
    return f"{name} · {role}" if role else name
