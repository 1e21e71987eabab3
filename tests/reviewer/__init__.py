"""Tests of the reviewer side."""
