"""Two app hosts, one PostgreSQL, nginx in front (issue 15, "Done when" 1 and 4): 200 submissions on the three
intake paths, the large ones uploaded in pieces that go to each host in turn, all receipts shown, `sori check`
clean and every envelope decrypting; and the throttles that guard guessing are one budget for both hosts."""

from __future__ import annotations

import itertools
import json
import random
from concurrent.futures import ThreadPoolExecutor

from core import db, form_nonces, receipts
from sori import create_app
from tests.abuse.helpers import Browser
from tests.multihost.cluster import Cluster, sources, upload_in_pieces
from tests.reliability.harness import KIB, MIB, SOURCE_KEY, Attempt, audit, run_check, seal
from tests.reviewer.helpers import PASSWORD, make_user

SINGLE = 110  # browser path in one request: half inline in the row, half over INLINE_MAX (a blob)
NOJS = 70  # no JavaScript: sealed by the server
LARGE = 20  # browser path in pieces, 1 MiB each, to each host in turn
LARGE_BYTES = 5 * MIB + 123


def test_two_hosts_take_200_submissions_on_every_path(cluster: Cluster) -> None:
    hosts = [cluster.host("host-a"), cluster.host("host-b")]
    ports = [host.instance.port for host in hosts]
    identity = cluster.identity
    with cluster.nginx(ports) as front:
        # Everything is sealed first: the clients must not compete with the servers for the two cores.
        small = [seal(identity, (300 * KIB if i % 2 else 2 * KIB), f"single-{i}") for i in range(SINGLE)]
        large = [seal(identity, LARGE_BYTES, f"large-{i}") for i in range(LARGE)]
        # Each source reaches one host directly or both through nginx: all three addresses take every path.
        entry = itertools.cycle([front, *ports])

        def single(i: int) -> Attempt:
            return sources([next(entry)])[0].single(small[i])

        def nojs(i: int) -> Attempt:
            return sources([next(entry)])[0].nojs(attachment_bytes=(i % 3) * 40 * KIB)

        def pieces(i: int) -> Attempt:
            # Forced across hosts: the pieces of one upload go to host A, then B, then A...
            order = ports if i % 2 else ports[::-1]
            return upload_in_pieces(sources(order), large[i], piece=MIB)

        jobs = [(single, i) for i in range(SINGLE)] + [(nojs, i) for i in range(NOJS)]
        jobs += [(pieces, i) for i in range(LARGE)]
        random.Random(15).shuffle(jobs)
        with ThreadPoolExecutor(8) as pool:
            attempts = list(pool.map(lambda job: job[0](job[1]), jobs))

    refused = [f"{a.kind}: {a.status} {a.error}" for a in attempts if not a.shown]
    assert refused == [], refused[:5]
    report = audit(cluster, attempts)
    assert report.problems == [], report.problems[:5]
    assert report.receipts_verified == len(attempts) == 200
    assert report.submissions == report.decrypted == 200 and report.unclaimed_submissions == 0
    assert report.orphan_blobs == [] and report.temp_files == []
    assert report.in_blobs == SINGLE // 2 + NOJS + LARGE
    for host in hosts:
        assert [p for p in (host.instance.data_dir / "blobs").rglob("*") if p.is_file()] == []
    checked = run_check(cluster)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout, checked.stdout


def test_wrong_receipts_and_failed_logins_on_two_hosts_count_into_one_budget(cluster: Cluster) -> None:
    hosts = [cluster.host("host-a"), cluster.host("host-b")]
    ports = [host.instance.port for host in hosts]
    both = sources(ports)

    # Wrong receipts, in turn on each host: one budget of 60 a minute for the whole instance (not 60 each).
    codes = []
    for i in range(70):
        guess = {
            "lookup_key": receipts.encode_key(i.to_bytes(32, "big")),
            "source_key": SOURCE_KEY,
            "form_nonce": form_nonces.new(),
        }
        status, _body, _ = both[i % 2].request(
            "POST", "/api/status", json.dumps(guess).encode(), {"Content-Type": "application/json"}
        )
        codes.append(status)
    assert set(codes) <= {403, 429} and codes[-10:] == [429] * 10, codes
    assert 55 <= codes.count(403) <= 62, codes  # the sliding minute may forget a few across its boundary
    assert {codes[i] for i in range(len(codes)) if i % 2 == 0 and i > 62} == {429}

    # Failed logins, in turn on each host: the account pauses after 4 failures in all, not 4 per host.
    app = create_app({"SORI_DATA_DIR": cluster.data_dir, "SORI_DATABASE_URL": cluster.database_url})
    try:
        make_user(app, "kim", "reviewer")
    finally:
        db.database(app).engine.dispose()
    browsers = [Browser(port) for port in ports]
    for i in range(4):
        browser = browsers[i % 2]
        browser.form("/reviewer/login")
        status, _ = browser.post_form("/reviewer/login", {"login": "kim", "password": f"wrong {i}"})
        assert status == 401
    browsers[1].form("/reviewer/login")
    status, _ = browsers[1].post_form("/reviewer/login", {"login": "kim", "password": PASSWORD})
    assert status == 401  # paused: the right password waits too, on either host
