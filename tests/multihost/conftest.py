"""The multi-host tests need PostgreSQL (several app hosts share one database): they run in the PostgreSQL
pass of scripts/test.sh only, one at a time (each runs servers on the machine's two cores), time-bounded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_database
from tests.deploy.helpers import NGINX
from tests.multihost.cluster import Cluster


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent != here:
            continue
        item.add_marker(pytest.mark.xdist_group("multihost"))
        item.add_marker(pytest.mark.slow)
        if not os.environ.get("SORI_TEST_DATABASE_URL"):
            item.add_marker(
                pytest.mark.skip(reason="several app hosts share one PostgreSQL: runs on the PostgreSQL pass")
            )
        elif NGINX is None:
            item.add_marker(
                pytest.mark.skip(reason="the nginx binary is absent (scripts/test.sh installs it)")
            )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A set-up cluster on a fresh schema of the test server; its hosts are killed at the end."""
    with fresh_database(tmp_path) as database_url:
        cluster = Cluster(tmp_path, database_url).setup()
        try:
            yield cluster
        finally:
            cluster.stop()
