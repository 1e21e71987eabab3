"""Exports: sanctions dossiers for one target (DESIGN.md section 5) in PDF, FollowTheMoney and CSV, filtered
by consent, with a signed manifest; and the offline sanctions list they are checked against."""
