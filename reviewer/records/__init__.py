"""Records: the structured, verified knowledge triage produces and dossiers are made of (DESIGN.md section 4).

Models are in :mod:`reviewer.records.models`; the services beside them hold the rules (no Flask), the views
the pages.
"""
