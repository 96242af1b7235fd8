"""Celery entry points of fund revenue and expenditure: thin, they call services."""
