"""DRF serializers of fund revenue and expenditure."""
