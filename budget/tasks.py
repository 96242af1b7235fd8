"""Celery entry points of budget: thin, they call services."""
