"""Models of registration (参保登记)."""
