"""What a source's browser downloads: the scripts the form loads when WebAssembly runs (raw, gzipped, and
what the server actually sends), whether every static file is served compressed, and how long the form takes
to be ready to encrypt in Chromium over a Tor-like link (tests/browser/test_slow_network.py's measurement)."""

from __future__ import annotations

import gzip
import html
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.intake.servers import REPO, Server
from core.assets import CRYPTO_JS_DIR, STATIC_DIR, VENDOR_FILES, served_files

GZIP_LEVEL = 6  # zlib's default, what most servers use on the fly; the precompressed copies use 9
KB = 1000


@dataclass
class Fetched:
    """One file as the server sends it to a browser that accepts brotli and gzip."""

    path: str
    raw: int
    gzipped: int  # at GZIP_LEVEL, for comparison with the figures
    encoding: str | None  # the Content-Encoding sent
    wire: int  # bytes sent


def get(server: Server, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = server.connection()
    try:
        conn.request("GET", path, headers={"Accept-Encoding": accept} if accept else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def fetch(server: Server, path: str) -> Fetched:
    status, _, raw = get(server, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    _, headers, wire = get(server, path, "br, gzip")
    name = urlsplit(path).path
    return Fetched(
        name,
        len(raw),
        len(gzip.compress(raw, GZIP_LEVEL, mtime=0)),
        headers.get("content-encoding"),
        len(wire),
    )


def form_scripts(server: Server, extra: tuple[str, ...] = ()) -> list[Fetched]:
    """Every script the form loads when WebAssembly runs: its ``<script>`` tags, then ``data-sodium``, then
    ``extra`` (anything else Chromium fetched, such as a WebAssembly file loaded by a script)."""
    _, _, page = get(server, "/submit?lang=ko")
    text = page.decode("utf-8")
    paths = [html.unescape(m) for m in re.findall(r'<script src="([^"]+)"', text)]
    sodium = re.search(r'data-sodium="([^"]+)"', text)
    if sodium:
        paths += [entry["src"] for entry in json.loads(html.unescape(sodium.group(1)))]
    seen = {urlsplit(p).path for p in paths}
    paths += [p for p in extra if urlsplit(p).path not in seen]
    return [fetch(server, path) for path in paths]


@dataclass
class Compression:
    files: int
    brotli: int  # served with Content-Encoding: br to a browser that accepts it
    gzip: int  # served with Content-Encoding: gzip to a browser that accepts only gzip
    plain: list[str]  # served uncompressed to one of the two


def compression(server: Server) -> Compression:
    """Whether every file Sori serves to browsers comes compressed, brotli or gzip as accepted."""
    node_modules = REPO / "node_modules"
    vendor = {node_modules / relative: name for name, relative in VENDOR_FILES.items()}
    paths = []
    for file in served_files(node_modules):
        if file in vendor:
            paths.append(f"/vendor/{vendor[file]}")
        elif file.parent == CRYPTO_JS_DIR:
            paths.append(f"/static/crypto/{file.name}")
        else:
            paths.append(f"/static/{file.relative_to(STATIC_DIR).as_posix()}")
    result = Compression(len(paths), 0, 0, [])
    for path in paths:
        _, with_br, _ = get(server, path, "br, gzip")
        _, with_gzip, _ = get(server, path, "gzip")
        result.brotli += with_br.get("content-encoding") == "br"
        result.gzip += with_gzip.get("content-encoding") == "gzip"
        if "content-encoding" not in with_br or "content-encoding" not in with_gzip:
            result.plain.append(path)
    return result


@dataclass
class Ready:
    seconds: list[float]
    requests: int
    wire_kib: float
    fetched: list[str]  # paths of what was fetched before ready (the last run)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def ready_over_tor_like_link(server: Server, rounds: int) -> Ready:
    """Seconds until the form is ready to encrypt in Chromium at 1 Mbit/s with 400 ms per request, each
    round in a fresh browser context (nothing cached)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.test_slow_network import time_to_ready

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    seconds = []
    fetched: list[tuple[str, int]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(rounds):
                context = browser.new_context(locale="ko-KR")
                try:
                    took, fetched = time_to_ready(context.new_page(), f"{server.url}/submit?lang=ko")
                    seconds.append(took)
                finally:
                    context.close()
        finally:
            browser.close()
    paths = [
        urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "") for url, _ in fetched
    ]
    return Ready(seconds, len(fetched), sum(size for _, size in fetched) / 1024, paths)
