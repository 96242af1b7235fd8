"""Pages of registration (参保登记)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="enrollment")
