"""DRF serializers of budget."""
