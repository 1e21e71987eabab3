"""Tests of the crypto library."""
