"""Serving libsodium.js and the envelope code from our own origin, with Subresource Integrity."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from core import assets
from sori import create_app


def sri_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.mark.parametrize("name", sorted(assets.VENDOR_FILES))
def test_vendor_files_are_served_with_matching_sri(app: Flask, client: FlaskClient, name: str) -> None:
    response = client.get(f"/vendor/{name}")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.max_age == assets.VENDOR_MAX_AGE
    body = response.get_data()
    assert body == (app.config["SORI_NODE_MODULES"] / assets.VENDOR_FILES[name]).read_bytes()
    with app.test_request_context():
        assert assets.sri(f"/vendor/{name}") == sri_of(body)
        assert assets.sri(name) == sri_of(body)


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/libsodium",
        "/vendor/package.json",
        "/vendor/..%2Flibsodium%2Fpackage.json",
        "/vendor/../package.json",
        "/vendor/libsodium/dist/modules/libsodium.js",
        "/vendor/libsodium-sumo.js",
        "/vendor/.sori/libsodium.js",
        "/vendor/%2e%2e/%2e%2e/pyproject.toml",
        "/static/crypto/FORMAT.md",
        "/static/crypto/..%2Fkeys.py",
        "/static/../app.py",
    ],
)
def test_nothing_outside_the_allow_list_is_served(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_script_macro_emits_integrity_and_versioned_url(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        html = render_template_string(
            '{% from "_scripts.html" import script %}'
            '{{ script(url_for("assets.vendor", name="libsodium.js")) }}'
        )
        expected = assets.sri("/vendor/libsodium.js")
    assert html.startswith('<script src="/vendor/libsodium.js?v=')
    assert f'integrity="{expected}" crossorigin="anonymous"></script>' in html
    src = html.split('src="')[1].split('"')[0]
    assert sri_of(client.get(src).get_data()) == expected


def test_page_sri_values_match_the_served_bytes(client: FlaskClient) -> None:
    body = client.get("/").get_data(as_text=True)
    pairs = [
        (part.split('"')[0], part.split('integrity="')[1].split('"')[0])
        for part in body.split('src="')[1:] + body.split('href="')[1:]
        if 'integrity="' in part.split(">")[0]
    ]
    assert len(pairs) == 2  # the stylesheet and the quick-exit script
    for url, integrity in pairs:
        assert sri_of(client.get(url).get_data()) == integrity


def test_unknown_urls_have_no_sri(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(LookupError):
        assets.sri("/vendor/evil.js")


def test_envelope_code_is_served_from_crypto_js(app: Flask, client: FlaskClient) -> None:
    source = assets.CRYPTO_JS_DIR / "sori-envelope.js"
    if not source.is_file():
        pytest.skip("crypto/js/sori-envelope.js is not written yet")
    response = client.get("/static/crypto/sori-envelope.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    with app.test_request_context():
        assert assets.sri("/static/crypto/sori-envelope.js") == sri_of(response.get_data())


def fake_node_modules(root: Path) -> Path:
    for relative in assets.VENDOR_FILES.values():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(b"// v1\n")
    return root


def test_sri_follows_a_changed_file(tmp_path: Path) -> None:
    node_modules = fake_node_modules(tmp_path / "node_modules")
    app = create_app({"SORI_DATA_DIR": tmp_path / "d", "SORI_NODE_MODULES": node_modules})
    with app.test_request_context():
        before = (assets.sri("libsodium.js"), assets.versioned("/vendor/libsodium.js"))
        (node_modules / assets.VENDOR_FILES["libsodium.js"]).write_bytes(b"// version 2\n")
        after = (assets.sri("libsodium.js"), assets.versioned("/vendor/libsodium.js"))
    assert after[0] == sri_of(b"// version 2\n")
    assert before[1] != after[1]


def test_missing_node_modules_is_a_clear_error(tmp_path: Path) -> None:
    app = create_app({"SORI_DATA_DIR": tmp_path / "d", "SORI_NODE_MODULES": tmp_path / "nowhere"})
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(assets.AssetsMissing, match="run the setup command"):
        app.test_client().get("/")


def test_libsodium_installed_but_not_built_is_a_clear_error(tmp_path: Path) -> None:
    installed = tmp_path / "nm" / "libsodium-sumo" / "dist" / "modules-sumo" / "libsodium-sumo.js"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"// as npm ci leaves it\n")
    app = create_app({"SORI_DATA_DIR": tmp_path / "d", "SORI_NODE_MODULES": tmp_path / "nm"})
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(assets.AssetsMissing, match=r"\.sori/libsodium\.js is missing.*run the setup command"):
        app.test_client().get("/")


def test_missing_files_are_listed(tmp_path: Path) -> None:
    node_modules = fake_node_modules(tmp_path / "nm")
    (node_modules / assets.VENDOR_FILES["libsodium.js"]).unlink()
    assert assets.missing_vendor_files(node_modules) == [node_modules / assets.VENDOR_FILES["libsodium.js"]]


@pytest.mark.parametrize(
    "url", ["/static/sori.css", "/static/js/submit.js", "/static/crypto/sori-envelope.js"]
)
def test_static_files_are_sent_as_their_precompressed_copy_when_accepted(
    client: FlaskClient, url: str
) -> None:
    import brotli

    from core import precompressed

    original = client.get(url, headers={"Accept-Encoding": "identity"})
    assert original.status_code == 200 and "Content-Encoding" not in original.headers
    with client.application.test_request_context():
        path = assets.file_for_url(url)
    precompressed.build([path])
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        answer = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity"})
        assert answer.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in answer.headers["Vary"]
        assert answer.headers["Content-Type"] == original.headers["Content-Type"]
        assert decode(answer.data) == original.data == path.read_bytes()
        assert len(answer.data) < len(original.data)


def test_an_outdated_copy_is_never_sent(client: FlaskClient, tmp_path: Path) -> None:
    from core import precompressed

    script = tmp_path / "old.js"
    script.write_text("var a = 1;\n" * 200)
    precompressed.build([script])
    copy = script.with_name("old.js.gz")
    os.utime(copy, ns=(0, 0))  # older than the file: the file changed after the copy was made
    with client.application.test_request_context(headers={"Accept-Encoding": "gzip"}):
        answer = precompressed.send(script, "text/javascript")
        assert "Content-Encoding" not in answer.headers


def test_pages_are_never_compressed(client: FlaskClient) -> None:
    for url in ("/", "/submit", "/status"):
        answer = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert "Content-Encoding" not in answer.headers, url


def test_browsers_get_a_small_icon_instead_of_a_404(client: FlaskClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/vnd.microsoft.icon"
    assert answer.data[:4] == b"\x00\x00\x01\x00" and len(answer.data) < 4096
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)
