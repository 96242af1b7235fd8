"""DRF viewsets of audit and internal control: thin, they call selectors and services."""
