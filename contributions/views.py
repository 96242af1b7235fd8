"""Pages of contributions (基金征缴)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="contributions")
