"""Print the conformance counts at the end of the session (when the conformance tests ran)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_SUMMARY = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def conformance_summary(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Store the one-line summary that ``pytest_terminal_summary`` prints."""

    def store(text: str) -> None:
        request.config.stash[_SUMMARY] = text

    return store


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    text = config.stash.get(_SUMMARY, None)
    if text:
        terminalreporter.write_sep("-", "conformance with the operator's Chainsaw e2e tests")
        terminalreporter.write_line(text)
        terminalreporter.write_line("details: docs/conformance.md")
