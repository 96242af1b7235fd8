"""Forms of contributions (基金征缴)."""
