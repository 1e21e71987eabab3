"""Reviewer keys: ``enrolment`` (a key made in the browser, vetted by an admin, revoked), ``grants`` (file
keys sealed by a colleague for a reviewer vetted later) and ``views`` (the pages and JSON APIs). The server
holds public keys, wrapped identity files and sealed file keys, never a secret key."""
