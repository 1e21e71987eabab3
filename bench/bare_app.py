"""The baseline of bench/intake_throughput.py: a bare Flask app under the same gunicorn settings as Sori.

``GET /`` answers a short text; ``POST /upload`` streams the request body into a new file in
``BENCH_UPLOAD_DIR`` in 64 KiB pieces, fsyncs it and answers the byte count (raw POST-to-disk).
Served as ``gunicorn bench.bare_app:app`` from the repository root.
"""

from __future__ import annotations

import os
import tempfile

from flask import Flask, request

PIECE = 64 * 1024

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world"


@app.post("/upload")
def upload() -> str:
    # The file stays (the benchmark removes the folder): unlinking 256 MiB is not part of a write.
    fd, _name = tempfile.mkstemp(dir=os.environ["BENCH_UPLOAD_DIR"], prefix="upload-")
    size = 0
    with os.fdopen(fd, "wb") as out:
        while piece := request.stream.read(PIECE):
            out.write(piece)
            size += len(piece)
        out.flush()
        os.fsync(out.fileno())
    return f"{size}\n"
