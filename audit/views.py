"""Pages of audit and internal control (稽核与内控)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="audit")
