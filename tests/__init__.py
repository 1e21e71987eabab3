"""Sori test suite; folders mirror crypto/, intake/ and reviewer/."""
