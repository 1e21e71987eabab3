"""Retention and deletion: the policies admins set, the four-eyes deletion reviewers decide, legal holds,
and ``sori retention run``, which applies the policies every day (docs/retention.md)."""
