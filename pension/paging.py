"""Pages of a long list on a page (分页): one helper and one partial for every list.

``page_of(request, queryset)`` gives the page that ``?page=`` names (the last one when
the number is too big, the first when it is not a number), 50 rows unless told;
``templates/pension/_pager.html`` shows the total and the links, keeping the list's
other query parameters (filters, year).
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def page_of(request: HttpRequest, queryset: QuerySet | list, *, per_page: int = PER_PAGE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
