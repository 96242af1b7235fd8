"""Choice sets of contributions (基金征缴)."""
