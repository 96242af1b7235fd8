"""Celery entry points of personal pension accounts: thin, they call services."""
