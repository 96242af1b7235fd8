"""DRF viewsets of registration: thin, they call selectors and services."""
