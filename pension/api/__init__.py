"""The kernel's API machinery, shared by every app's ``api/`` package (DESIGN §2.5).

- ``keys``: services that create, rotate and revoke external systems' API keys;
- ``authentication``: ``ApiKeyAuthentication`` (``Authorization: Api-Key <key>``) and
  ``ApiCallLogMiddleware``, which logs every authenticated call;
- ``permissions``: ``HasScope`` and ``client_region_prefix``;
- ``idempotency``: ``@idempotent`` and ``IdempotentCreateMixin`` for POSTs;
- ``exceptions``: the one DRF exception handler and its JSON envelope;
- ``schema``: the drf-spectacular description of the API key scheme.
"""
