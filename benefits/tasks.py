"""Celery entry points of benefits and payroll: thin, they call services."""
