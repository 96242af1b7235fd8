"""Pages of contributions (基金征缴): the section's start page. The work pages are in
run_views (assessment runs), base_views (bases and cases) and statement_views."""

from django.shortcuts import render

from pension.views import section_required


@section_required("contributions")
def index(request):
    return render(request, "contributions/index.html", {})
