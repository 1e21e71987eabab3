"""Sori's envelope format: keys, sealing to recipients and streaming encryption (crypto/FORMAT.md).

A library on its own: it imports nothing of ours and no web framework, so that the offline command line
and other implementations can rely on it alone; crypto/js/ holds the browser implementation of the same
format, checked against the same vectors in crypto/testdata/.
"""
