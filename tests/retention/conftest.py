"""Retention tests: two reviewers with vetted keys (tests/retention/helpers.py), pages read in English."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.retention.helpers import Story


@pytest.fixture
def story(app: Flask) -> Story:
    return Story.make(app)
