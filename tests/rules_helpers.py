"""Rule sets for tests: each county publishes its own (DOMAIN §3.8), so a test that needs "the
year's rules" gives every county in its database the defaults."""

from members.models import County
from members.permissions import system_user
from scoring import services


def load_default_rules(*, year: int, publish: bool = True):
    """The default rules for ``year`` in every county; returns the first county's (岚县 in the
    conftest's small county)."""
    counties = list(County.objects.order_by("pk"))
    assert counties, "create the counties before their rules"
    made = [
        services.ruleset_load_defaults(year=year, county=c, publish=publish, by=system_user())
        for c in counties
    ]
    return made[0]
