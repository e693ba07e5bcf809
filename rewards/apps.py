from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = "爱心超市与红色基金"

    def ready(self):
        # evaluations sits below this app and must not import it: the township's approval of a
        # quarter or the year calls the hooks registered here, inside its own transaction, so
        # a period is credited exactly when (and only if) it is approved.
        from evaluations.services import approval_hooks
        from rewards.panels import balance_panel
        from rewards.services import credit_on_approval
        from scoring.cards import card_panels

        if credit_on_approval not in approval_hooks:
            approval_hooks.append(credit_on_approval)
        if balance_panel not in card_panels:
            card_panels.append(balance_panel)
