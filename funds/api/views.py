"""DRF viewsets of fund revenue and expenditure: thin, they call selectors and services."""
