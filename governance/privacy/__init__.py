"""Privacy regulations on top of the stores: requests with their notifications (``service``), the
purge of a subject's events (``purge``) and the worker's run of it with its receipt (``runner``).

The suppression itself is configuration (``registry.suppressions``, enforced by every web process
through ``proxy.suppression_view``); this package reads and deletes the proxy's tables, so it sits
above the proxy and the alerts (whose channels carry ``regulation.created`` webhooks) and below
the API and the worker, which call it.
"""
