"""Excel downloads of assessment results: a branch's assessment, a township's or the county's
period. Every look-up goes through the scope helpers: outside the user's scope is a 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from evaluations.exports import AssessmentResultsExport, PeriodResultsExport, period_assessments
from evaluations.models import Assessment, Period
from members.scope import get_county, get_township, only_methods


def _period(period: str) -> str:
    if period not in Period.values:
        raise Http404
    return period


def assessment_export(request, pk):
    """One branch's quarter or year, for anyone who may see the assessment."""
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related("branch__township"), pk=pk
    )
    if refused := only_methods(request, "GET"):
        return refused
    export = AssessmentResultsExport(assessment)
    return export.as_response(export.filename())


def township_results_export(request, pk, year, period):
    """Every confirmed or approved assessment of the period in the township (its official or
    the county)."""
    period = _period(period)
    township = get_township(request, pk)
    if refused := only_methods(request, "GET"):
        return refused
    assessments = period_assessments(year, period).filter(branch__township=township)
    export = PeriodResultsExport(assessments, year=year, period=period, where=township.name)
    return export.as_response(export.filename())


def county_results_export(request, year, period):
    """Every confirmed or approved assessment of the period in the admin's county."""
    period = _period(period)
    county = get_county(request)
    if refused := only_methods(request, "GET"):
        return refused
    assessments = period_assessments(year, period).filter(branch__township__county=county)
    export = PeriodResultsExport(assessments, year=year, period=period, where=county.name)
    return export.as_response(export.filename())
