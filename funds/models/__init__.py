"""Models of fund revenue and expenditure (基金收支, DESIGN §5.5), one module a process:
the double-entry fund ledger (``ledger``), the monthly spending plans (``plans``) and the
three-way reconciliation (``reconciliation``)."""

from .ledger import *  # noqa: F403
from .other_revenue import *  # noqa: F403
from .plans import *  # noqa: F403
from .reconciliation import *  # noqa: F403
