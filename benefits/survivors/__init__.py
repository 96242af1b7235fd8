"""Survivors (遗属待遇, §9.5): the claim, the overpayment recovered and the receivables
(``claims``), with their pages (``views``, ``urls``)."""
