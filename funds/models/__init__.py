"""Models of fund revenue and expenditure (基金收支, DESIGN §5.5), one module a process:
the double-entry fund ledger (``ledger``) and the monthly spending plans (``plans``)."""

from .ledger import *  # noqa: F403
from .plans import *  # noqa: F403
