"""Fixtures of the notification tests; the helpers live in notify_support."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# pytest puts tests/ on sys.path (for tests/conftest.py), where tests/alerting would be
# taken for the `alerting` package as a namespace package: the editable install's import
# hook runs only after sys.path. With the project root on sys.path the real package wins.
# (`python -m pytest` adds it by itself; so would `pythonpath = ["."]` in pyproject.)
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
# The alarm tests' helpers (journal_faults) are shared with these.
_ALERTING_TESTS = str(Path(__file__).resolve().parents[1])
if _ALERTING_TESTS not in sys.path:
    sys.path.append(_ALERTING_TESTS)

from notify_support import (  # noqa: E402
    Clock,
    Endpoint,
    Mailbox,
    Recorder,
    make_sites,
    serve_endpoint,
    serve_mailbox,
)

from alerting.journal import AlarmJournal  # noqa: E402
from alerting.publisher import AlarmPublisher  # noqa: E402
from config.catalog import Catalog  # noqa: E402
from config.site import Site  # noqa: E402


@pytest.fixture(scope="session")
def sites() -> list[Site]:
    return make_sites()


@pytest.fixture(scope="session")
def catalog(sites: list[Site]) -> Catalog:
    return Catalog(sites)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[AlarmJournal]:
    with AlarmJournal(tmp_path / "alarms.db") as journal:
        yield journal


@pytest.fixture
def publisher(journal: AlarmJournal) -> AlarmPublisher:
    return AlarmPublisher(journal)


@pytest.fixture
async def recorder(publisher: AlarmPublisher) -> Recorder:
    return Recorder(publisher)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    async with serve_endpoint() as server:
        yield server


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    async with serve_mailbox() as server:
        yield server
