"""Models of audit and internal control (稽核与内控, DESIGN §5.7–§5.8), one module a
process: risk rules and alerts (``risk``), inspections (``inspections``), oversight
reports, statistics, the checklist (``oversight``); business archives (``archives``)."""

from .archives import *  # noqa: F403
from .inspections import *  # noqa: F403
from .oversight import *  # noqa: F403
from .risk import *  # noqa: F403
