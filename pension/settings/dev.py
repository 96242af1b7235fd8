"""Development and demo: the embedded servers unless configured.

Debug pages are off unless ``DEBUG=1``: the demo shows the project's own Chinese error
pages (404, 403, 500), as production does, never Django's debug page with its settings.
"""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)

# Static files straight from the app folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
