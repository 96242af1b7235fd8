"""Celery entry points of contributions: thin, they call services."""
