"""Project package and shared kernel: regions, agencies, staff users, policy
parameters, money and period types, validators and the runtime."""

from .celery import app as celery_app

__all__ = ("celery_app",)
