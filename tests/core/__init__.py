"""Tests of the intake application core."""
