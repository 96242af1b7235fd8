"""DRF viewsets of budget: thin, they call selectors and services."""
