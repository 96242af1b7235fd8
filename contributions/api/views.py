"""DRF viewsets of contributions: thin, they call selectors and services."""
