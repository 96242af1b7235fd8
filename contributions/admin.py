"""Django admin of contributions (基金征缴)."""
