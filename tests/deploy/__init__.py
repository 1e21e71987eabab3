"""Tests of deploy/: the nginx site, the gunicorn configuration and the operator's README."""
