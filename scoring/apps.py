from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "积分规则与台账"

    def ready(self):
        # members cannot import scoring (it sits below it); scoring tells members what to check
        # before a member's roll in a branch ends.
        from members.services import roll_end_checks, roster_changed
        from scoring.services import entries_after_roll_end
        from scoring.standings import roster_changed as refresh_standings

        if entries_after_roll_end not in roll_end_checks:
            roll_end_checks.append(entries_after_roll_end)
        # ... and whenever a roll or a category changes, so that the stored standings follow.
        if refresh_standings not in roster_changed:
            roster_changed.append(refresh_standings)
