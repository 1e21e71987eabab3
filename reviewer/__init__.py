"""Everything behind a reviewer login: accounts, keys and vetting, inbox and triage, the audit trail.

Sori's core finds this package through its ``sori.extensions`` entry point (intake/extensions.py) and calls
:func:`register` on every application it makes; its commands join ``sori`` through ``sori.commands``.
"""

from __future__ import annotations

from flask import Flask

from reviewer import models  # noqa: F401  (registers the tables on the shared metadata)
from reviewer.records import models as record_models  # noqa: F401


def register(app: Flask) -> None:
    """Add the reviewer side's pages to ``app``."""
    # Imported here, not at the top: the views need the application's extensions, the models do not.
    import importlib

    from reviewer import audit_views, auth, inbox, keys
    from reviewer.exports import views as exports
    from reviewer.records import blueprint as records

    for module in (auth, keys, inbox, audit_views, exports):
        app.register_blueprint(module.bp)
    for name in records.VIEW_MODULES:
        importlib.import_module(name)
    app.register_blueprint(records.bp)
