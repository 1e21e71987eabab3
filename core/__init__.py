"""Sori's core: what the source side (intake/) and the reviewer side (reviewer/) both stand on.

Configuration, the database and its migrations, the shared tables (submissions, envelopes, recipient keys,
settings, the audit trail) and the services around them (storing envelopes, receipts, the answers format,
North Korea's divisions), the blob store, backups, ``sori check``, security headers, error pages, Korean
and English, the browser crypto files, and the core's commands.

It may import crypto/ and nothing else of ours: intake/ and reviewer/ import it, never the reverse, and the
application factory (sori/app.py) puts them together.
"""
