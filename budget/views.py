"""Pages of budget (基金预算)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="budget")
