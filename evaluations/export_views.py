"""Excel downloads of assessment results: a branch's assessment, a township's or the county's
period. Every look-up goes through the scope helpers: outside the user's scope is a 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from core.web import scoped
from evaluations.exports import AssessmentResultsExport, PeriodResultsExport, period_assessments
from evaluations.models import Assessment, Period
from members.scope import get_county, get_township


def _period(period: str) -> str:
    if period not in Period.values:
        raise Http404
    return period


def _get_assessment(request, pk) -> Assessment:
    return get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related("branch__township"), pk=pk
    )


@scoped(_get_assessment, "GET")
def assessment_export(request, assessment):
    """One branch's quarter or year, for anyone who may see the assessment."""
    export = AssessmentResultsExport(assessment)
    return export.as_response(export.filename())


@scoped(get_township, "GET")
def township_results_export(request, township, year, period):
    """Every confirmed or approved assessment of the period in the township (its official or
    the county)."""
    period = _period(period)
    assessments = period_assessments(year, period).filter(branch__township=township)
    export = PeriodResultsExport(assessments, year=year, period=period, where=township.name)
    return export.as_response(export.filename())


@scoped(get_county, "GET")
def county_results_export(request, county, year, period):
    """Every confirmed or approved assessment of the period in the admin's county."""
    period = _period(period)
    assessments = period_assessments(year, period).filter(branch__township__county=county)
    export = PeriodResultsExport(assessments, year=year, period=period, where=county.name)
    return export.as_response(export.filename())
