"""DRF serializers of personal pension accounts."""
