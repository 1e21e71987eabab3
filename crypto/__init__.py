"""Sori envelope format: keys, sealing to recipients and streaming encryption (no Flask, nothing of ours)."""
