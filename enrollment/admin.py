"""Django admin of registration (参保登记)."""
