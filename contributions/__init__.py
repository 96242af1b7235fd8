"""Contributions (基金征缴): Base declaration, monthly assessment, tax exchange, arrears, back-
payments and refunds (DESIGN §5.2).
"""
