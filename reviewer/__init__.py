"""What reviewers and case teams meet, behind a login: accounts and TOTP, keys and vetting, the inbox and
triage, records (reviewer/records/) and dossier exports (reviewer/exports/).

It may import crypto/ and core/, never intake/: the two sides meet only through the core's tables and
services. The application factory (sori/app.py) registers its blueprints and command groups by name.
"""
