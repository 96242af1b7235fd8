"""Content negotiation of the API: JSON, whatever the caller accepts.

The API answers in JSON only. A browser (``Accept: text/html``) or a client naming a
type the API does not write gets JSON all the same, never a 406 or an HTML page (the
browsable API used to render refusals as a page, and a signed-in staff member's
refusal became a 500 there).
"""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonWhateverAccepted(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
