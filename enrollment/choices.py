"""Choice sets of registration (参保登记)."""
