"""Pages of audit and internal control (稽核与内控)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from audit import selectors
from audit.filtersets import ChangeLogFilterSet
from pension.paging import page_of
from pension.views import DomainIndexView, section_required

index = DomainIndexView.as_view(domain="audit", template_name="audit/index.html")

PAGE_SIZE = 50


@section_required("audit")
def change_log_list(request: HttpRequest) -> HttpResponse:
    """The change-log browser (变更日志): filters by user, agency region, record, action
    and date; 50 entries a page, newest first, with the total."""
    filterset = ChangeLogFilterSet(request.GET or None, queryset=selectors.change_log(request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("-id"), per_page=PAGE_SIZE)
    for entry in page.object_list:
        entry.object_label = selectors.object_type_label(entry.object_type)
    return render(
        request,
        "audit/change_log_list.html",
        {"filterset": filterset, "page": page, "entries": page.object_list},
    )


@section_required("audit")
def change_log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One change-log entry: who, for which agency, from where, the fields before and
    after, the reason and its place in the hash chain."""
    try:
        entry = selectors.change_log(request.user).get(pk=pk)
    except (ValueError, selectors.ChangeLogEntry.DoesNotExist):
        raise Http404 from None
    entry.object_label = selectors.object_type_label(entry.object_type)
    return render(request, "audit/change_log_detail.html", {"entry": entry})
