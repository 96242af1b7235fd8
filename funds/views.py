"""Pages of fund revenue and expenditure (基金收支): the ledger's are in
``funds/ledger_views.py``."""

from funds.ledger_views import index

__all__ = ["index"]
