"""Pages of personal pension accounts (个人账户)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="accounts")
