"""Celery entry points of audit and internal control: thin, they call services."""
