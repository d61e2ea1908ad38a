"""Fixtures shared by the QI lead area's tests."""

import pytest

from tests.qipacks.qi_helpers import (
    evidence_files,
    make_world,
    remove_new_evidence_files,
)


@pytest.fixture(autouse=True)
def _tidy_private_files():
    """Evidence files a test stores are removed after it (they live on disk)."""
    before = evidence_files()
    yield
    remove_new_evidence_files(before)


@pytest.fixture
def world():
    """Three organisations with QI leads (and a viewer), packs, recommendations."""
    return make_world()
