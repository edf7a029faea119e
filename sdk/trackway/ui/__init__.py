"""`trackway ui`: MLflow's own web UI served against the trackway API (needs the `ui` extra).

`trackway.ui.app.create_app(transport)` builds the WSGI application; `trackway.ui.transport` defines the
Transport interface and `HttpTransport`; `trackway.ui.server` runs it on 127.0.0.1.
"""
