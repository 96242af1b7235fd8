"""DRF viewsets of personal pension accounts: thin, they call selectors and services."""
