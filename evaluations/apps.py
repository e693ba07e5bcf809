from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "评定、公示与存档"

    def ready(self):
        # The annual part of a year is scored with the version the annual assessment was opened
        # with (DOMAIN §3.8); scoring sits below this app, so it asks through this finder.
        from evaluations.services import annual_assessment_versions
        from scoring.versions import annual_version_finders

        if annual_assessment_versions not in annual_version_finders:
            annual_version_finders.append(annual_assessment_versions)
