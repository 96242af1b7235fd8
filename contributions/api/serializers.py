"""DRF serializers of contributions."""
