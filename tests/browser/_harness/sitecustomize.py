"""Loaded at start-up by the Sori server the browser tests run (tests/browser/live_server.py puts this folder
on PYTHONPATH); never part of Sori itself.

``tempfile.TemporaryFile`` makes a file without a name (deleted at once, or O_TMPFILE), so plaintext written
to it would leave no trace for the tests' scans. Here it becomes a named file that stays: if the server
ever spools a form to a temporary file (Werkzeug's default for large uploads), the scan of the system
temporary folder finds the plaintext and the test fails.
"""

import functools
import tempfile

tempfile.TemporaryFile = functools.partial(tempfile.NamedTemporaryFile, delete=False, prefix="sori-spooled-")
