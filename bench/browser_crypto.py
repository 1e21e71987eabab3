"""Benchmark: the browser's libsodium.js before and after scripts/build-sodium.mjs, side by side in one run.

Prints:

1. the bytes, raw and gzipped, of the JavaScript a source's form page (``/submit?lang=ko``) loads when
   WebAssembly runs: its <script> tags, then its data-sodium scripts; once with the libsodium.js files
   the pages loaded before (libsodium-sumo and libsodium-wrappers-sumo from npm, as released) and once
   with the build they load now (target: <= 200 KB gzipped in all);
2. in Debian's Chromium, for each of the two: the time from a script tag to ``sodium.ready``; argon2id at
   the receipt's cost (32 MiB, 3 passes, crypto/FORMAT.md 6.1) and secretstream in 64 KiB chunks, MB/s
   pushed and pulled (target: the build at >= 70 % of the release's speed); once with the JIT and once
   with ``--js-flags=--jitless``, which in Chromium also removes WebAssembly (Sori's pages then post to
   the server instead): whatever starts there is measured, and what does not start says why.

The two are open side by side and timed in turns, one run at a time, so that a busy machine weighs on
both alike; each figure is the median of its runs.

Nothing leaves the machine: the page is blank, the scripts are read from node_modules. Usage:
``python bench/browser_crypto.py [--runs 9] [--mib 64]``.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core import db, migrate  # noqa: E402
from core.assets import file_for_url  # noqa: E402
from sori import create_app  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

GZIP_LEVEL = 6  # zlib's default, what nginx and most servers are configured with (as bench/intake_throughput)
NODE_MODULES = REPO / "node_modules"
RELEASE = {
    "name": "libsodium.js 0.8.4 sumo, as released",
    "files": [
        NODE_MODULES / "libsodium-sumo/dist/modules-sumo/libsodium-sumo.js",
        NODE_MODULES / "libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js",
    ],
}
BUILD = {"name": "node_modules/.sori/libsodium.js (built)", "files": [NODE_MODULES / ".sori/libsodium.js"]}
SIZE_TARGET = 200_000
SPEED_TARGET = 0.70

# Loads the scripts (given as text) in order through blob URLs, as <script src> would, and times them
# until sodium.ready; then leaves window.bench, whose calls each time one run. Answers {error}, what the
# scripts threw, when libsodium cannot start.
LOAD = """async (scripts) => {
  const errors = [];
  window.addEventListener('error', (event) => errors.push(event.message));
  window.addEventListener('unhandledrejection', (event) => errors.push(String(event.reason)));
  const started = performance.now();
  for (const text of scripts) {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = URL.createObjectURL(new Blob([text], {type: 'text/javascript'}));
      script.onload = resolve;
      script.onerror = () => reject(new Error('script error'));
      document.head.appendChild(script);
    });
  }
  try {
    await sodium.ready;
  } catch (error) {
    return {error: (errors.length ? errors : [String(error)]).join('; ').slice(0, 160)};
  }
  const readyMs = performance.now() - started;
  const timed = (action) => { const t = performance.now(); action(); return performance.now() - t; };
  const digits = new TextEncoder().encode('1234567890123456');
  const salt = new Uint8Array(16).fill(0x5a);
  const chunk = sodium.randombytes_buf(65536);
  const key = sodium.randombytes_buf(32);
  const s = {
    initPush: sodium.crypto_secretstream_xchacha20poly1305_init_push,
    push: sodium.crypto_secretstream_xchacha20poly1305_push,
    initPull: sodium.crypto_secretstream_xchacha20poly1305_init_pull,
    pull: sodium.crypto_secretstream_xchacha20poly1305_pull,
  };
  window.bench = {
    argon2id: () => timed(() => sodium.crypto_pwhash(32, digits, salt, 3, 32 * 1024 * 1024,
      sodium.crypto_pwhash_ALG_ARGON2ID13)),
    stream: (mib) => {
      const count = (mib * 1048576) / 65536, sealed = new Array(count);
      let header;
      const push = timed(() => {
        const {state, header: h} = s.initPush(key);
        header = h;
        for (let c = 0; c < count; c++) sealed[c] = s.push(state, chunk, null, c === count - 1 ? 3 : 0);
      });
      const pull = timed(() => {
        const state = s.initPull(header, key);
        for (let c = 0; c < count; c++) s.pull(state, sealed[c], null);
      });
      return {push, pull};
    },
  };
  return {readyMs};
}"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def source_page_scripts() -> tuple[list[Path], list[Path]]:
    """The files ``/submit?lang=ko`` loads: its <script> tags, then its data-sodium list (in order)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/sori.db"
        migrate.upgrade(url)
        app = create_app({"SORI_DATA_DIR": Path(folder) / "data", "SORI_DATABASE_URL": url})
        try:
            text = app.test_client().get("/submit?lang=ko").get_data(as_text=True)
            with app.test_request_context():
                tags = [
                    file_for_url(html.unescape(src)) for src in re.findall(r'<script src="([^"]+)"', text)
                ]
                attribute = re.search(r'data-sodium="([^"]+)"', text)
                sodium = [file_for_url(s["src"]) for s in json.loads(html.unescape(attribute.group(1)))]
        finally:
            db.database(app).engine.dispose()
    return tags, sodium


def print_sizes() -> None:
    tags, sodium = source_page_scripts()
    built = BUILD["files"][0]
    if built not in sodium:
        raise SystemExit(f"the form page does not load {built}: is this the branch with the build step?")
    rest = [path for path in sodium if path != built]
    print(f"1. JavaScript of /submit?lang=ko when WebAssembly runs (gzip level {GZIP_LEVEL})")
    totals = {}
    for variant in (RELEASE, BUILD):
        files = [*tags, *variant["files"], *rest]
        raw = sum(path.stat().st_size for path in files)
        zipped = sum(gz(path.read_bytes()) for path in files)
        crypto = variant["files"]
        print(f"   {variant['name']}:")
        for path in files:
            data = path.read_bytes()
            print(f"     {str(path.relative_to(REPO)):70s} {len(data):9,d} B   gzipped {gz(data):8,d} B")
        crypto_raw = sum(path.stat().st_size for path in crypto)
        crypto_gz = sum(gz(path.read_bytes()) for path in crypto)
        print(f"     {'libsodium.js alone':70s} {crypto_raw:9,d} B   gzipped {crypto_gz:8,d} B")
        print(f"     {'all JavaScript':70s} {raw:9,d} B   gzipped {zipped:8,d} B")
        totals[variant["name"]] = zipped
    after = totals[BUILD["name"]]
    verdict = "met" if after <= SIZE_TARGET else "NOT MET"
    print(f"   after: {after / 1000:.1f} KB gzipped (target <= {SIZE_TARGET / 1000:.0f} KB): {verdict}")


def print_speeds(runs: int, mib: int) -> None:
    print(f"2. Speed in Chromium (median of {runs} runs; secretstream over {mib} MiB in 64 KiB chunks)")
    header = f"   {'':46s} {'ready':>9s} {'argon2id':>10s} {'push':>11s} {'pull':>11s}"
    with sync_playwright() as playwright:
        for mode, flags in (
            ("with JIT", []),
            ("--js-flags=--jitless, which removes WebAssembly", ["--js-flags=--jitless"]),
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *flags])
            try:
                measured = measure(browser, runs, mib)
            finally:
                browser.close()
            results = {name: summary(result, mib) for name, result in measured.items()}
            print(f"   {mode}:")
            print(header)
            for name, result in results.items():
                if "error" in result:
                    print(f"   {name:46s} does not start: {result['error']}")
                    continue
                figures = (
                    f"{result['ready']:7.0f}ms {result['argon2id']:8.0f}ms "
                    f"{result['push']:6.1f} MB/s {result['pull']:6.1f} MB/s"
                )
                print(f"   {name:46s} {figures}")
            release, built = results[RELEASE["name"]], results[BUILD["name"]]
            if "error" in release or "error" in built:
                continue
            for label, ratio in (
                ("argon2id", release["argon2id"] / built["argon2id"]),
                ("secretstream push", built["push"] / release["push"]),
                ("secretstream pull", built["pull"] / release["pull"]),
            ):
                verdict = "met" if ratio >= SPEED_TARGET else "NOT MET"
                print(f"   {label} speed, built / released: {ratio:.0%} (target >= 70 %): {verdict}")


def summary(result: dict, mib: int) -> dict:
    """The medians of one library's runs: ready and argon2id in ms, secretstream in MB/s; or its error."""
    if "error" in result:
        return result
    megabytes = mib * 1048576 / 1e6
    return {
        "ready": result["readyMs"],
        "argon2id": statistics.median(result["argon2id"]),
        "push": megabytes / (statistics.median(result["push"]) / 1000),
        "pull": megabytes / (statistics.median(result["pull"]) / 1000),
    }


def measure(browser: Browser, runs: int, mib: int) -> dict[str, dict]:
    """Both libraries in pages of their own, timed in turns, one run each, after one warm-up run each, so
    that a busy machine weighs on both alike."""
    pages, results = {}, {}
    for variant in (RELEASE, BUILD):
        page = browser.new_context().new_page()
        page.set_content("<html><head></head><body></body></html>")
        scripts = [path.read_text(encoding="utf-8") for path in variant["files"]]
        results[variant["name"]] = page.evaluate(LOAD, scripts)
        if "error" not in results[variant["name"]]:
            pages[variant["name"]] = page
            results[variant["name"]].update(argon2id=[], push=[], pull=[])
    for turn in range(runs + 1):
        # Each goes first every other turn: what runs second may find the machine in another state.
        for name, page in sorted(pages.items(), reverse=bool(turn % 2)):
            argon2id = page.evaluate("bench.argon2id()")
            stream = page.evaluate("mib => bench.stream(mib)", mib)
            if turn:  # the first is the warm-up
                results[name]["argon2id"].append(argon2id)
                results[name]["push"].append(stream["push"])
                results[name]["pull"].append(stream["pull"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (median)")
    parser.add_argument("--mib", type=int, default=64, help="MiB pushed and pulled through secretstream")
    args = parser.parse_args()
    print_sizes()
    print_speeds(args.runs, args.mib)


if __name__ == "__main__":
    main()
