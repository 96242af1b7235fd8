"""Benefits and payroll (待遇核定与发放): Retirement determination, monthly payroll, suspension,
certification, adjustment and survivors (DESIGN §5.4).
"""
