"""Pages of benefits and payroll (待遇核定与发放)."""

from pension.views import DomainIndexView

index = DomainIndexView.as_view(domain="benefits")
