"""Pages of fund revenue and expenditure (基金收支)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="funds")
