"""DRF serializers of registration."""
