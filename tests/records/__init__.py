"""Tests of the records (issue 5): persons, organizations, facilities, incidents, acts, analysis."""
