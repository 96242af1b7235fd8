"""Celery entry points of registration: thin, they call services."""
