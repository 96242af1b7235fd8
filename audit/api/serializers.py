"""DRF serializers of audit and internal control."""
