"""Plain helpers for talking to the emulator by hand (also offered as fixtures by conftest;
import them from here, never from `conftest`, whose module name other test folders share)."""

from __future__ import annotations

from ozon_mcp.adapters.emulator import EmulatorConfig


def token_request_body(config: EmulatorConfig) -> dict[str, str]:
    """The JSON body Ozon documents for `POST /api/client/token`."""
    return {
        "client_id": config.client_id,
        "client_secret": config.secret_value,
        "grant_type": "client_credentials",
    }


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API call."""
    return {"Authorization": f"Bearer {token}"}
