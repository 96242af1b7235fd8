"""DRF viewsets of benefits and payroll: thin, they call selectors and services."""
