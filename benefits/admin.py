"""Django admin of benefits and payroll (待遇核定与发放)."""
