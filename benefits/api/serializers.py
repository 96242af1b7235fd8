"""DRF serializers of benefits and payroll."""
