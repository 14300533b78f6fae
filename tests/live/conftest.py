"""Live tests against the real Ozon Performance API (`nox -s live`); CI never runs them.

They need real credentials in OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET (OAUTH_TOKEN_URL and
API_BASE_URL default to Ozon's; a `.env` file is not read, as in `nox -s live`). Without the
credentials a live run fails with a message saying what to set; it never passes or skips
silently. `pytest tests/live` refuses before running anything; if these tests are collected
some other way, each of them fails with the same message.
"""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from ozon_mcp.app.settings import Settings

REQUIRED = ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET")


def missing_credentials() -> list[str]:
    """The credential variables that are unset or blank."""
    return [name for name in REQUIRED if not os.environ.get(name, "").strip()]


def refusal(missing: list[str]) -> str:
    return (
        "live tests talk to the real Ozon Performance API: set "
        + " and ".join(missing)
        + " (your Performance API client credentials) in the environment and run "
        "`nox -s live` again"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse early, as `nox -s live` does, when the credentials are missing."""
    missing = missing_credentials()
    if missing:
        pytest.exit(refusal(missing), returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def live_settings() -> Settings:
    """The settings from the environment only; fails the test when credentials are missing."""
    missing = missing_credentials()
    if missing:
        pytest.fail(refusal(missing), pytrace=False)
    try:
        return Settings(_env_file=None, log_level="WARNING")  # type: ignore[call-arg]
    except ValidationError as exc:
        pytest.fail(f"the live settings are invalid: {exc}", pytrace=False)
