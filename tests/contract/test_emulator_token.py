"""The token endpoint as the spec's `Token` tag documents it, plus RFC 6749 in generic mode,
and the life of a token on the API side (expiry, revocation)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import quote

import httpx
import httpx2
import pytest

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, read_claims
from ozon_mcp.domain.token import token_fingerprint

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

TokenBody = Callable[[EmulatorConfig], dict[str, str]]


def basic(client_id: str, secret: str) -> str:
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def test_json_request_gets_a_bearer_token_with_the_documented_shape(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    response = httpx2.post(emulator.token_url, json=token_request_body(emulator.config))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    claims = read_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 1800
    assert isinstance(claims["jti"], str)
    assert len(claims["jti"]) >= 16


def test_tokens_are_random(emulator: EmulatorHandle, token_request_body: TokenBody) -> None:
    with httpx2.Client() as client:
        tokens = {
            client.post(emulator.token_url, json=token_request_body(emulator.config)).json()[
                "access_token"
            ]
            for _ in range(5)
        }
    assert len(tokens) == 5
    assert set(emulator.control.issued_tokens()) == tokens


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(expires_in=60)])
def test_expires_in_is_configurable(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    body = httpx2.post(emulator.token_url, json=token_request_body(emulator.config)).json()
    assert body["expires_in"] == 60
    emulator.control.set_expires_in(5)
    later = httpx2.post(emulator.token_url, json=token_request_body(emulator.config)).json()
    assert later["expires_in"] == 5
    claims = read_claims(later["access_token"])
    assert claims["exp"] - claims["iat"] == 5


@pytest.mark.parametrize(
    ("change", "status", "error", "mentions"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", None),
        ({"client_id": "someone-else"}, 401, "invalid_client", None),
        ({"client_id": None}, 400, "invalid_request", "client_id"),
        ({"client_secret": None}, 400, "invalid_request", "client_secret"),
        ({"grant_type": None}, 400, "invalid_request", "grant_type"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "client_credentials"),
        ({"client_id": 42}, 400, "invalid_request", "client_id"),
    ],
)
def test_bad_token_requests_get_oauth_errors(
    emulator: EmulatorHandle,
    token_request_body: TokenBody,
    change: dict[str, object],
    status: int,
    error: str,
    mentions: str | None,
) -> None:
    body: dict[str, object] = {**token_request_body(emulator.config), **change}
    body = {k: v for k, v in body.items() if v is not None}

    response = httpx2.post(emulator.token_url, json=body)

    assert response.status_code == status
    assert response.json()["error"] == error
    if mentions:
        assert mentions in response.json()["error_description"]
    assert emulator.control.issued_tokens() == []


def test_malformed_json_gets_400(emulator: EmulatorHandle) -> None:
    response = httpx2.post(
        emulator.token_url, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_form_body_and_basic_auth_are_refused_unless_generic(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    form = httpx2.post(emulator.token_url, data=token_request_body(emulator.config))
    with_basic = httpx2.post(
        emulator.token_url,
        json={"grant_type": "client_credentials"},
        headers={"Authorization": basic("demo-client-id", "demo-client-secret")},
    )
    assert form.status_code == 400
    assert "--generic" in form.json()["error_description"]
    assert with_basic.status_code == 400
    assert "--generic" in with_basic.json()["error_description"]


def test_generic_mode_accepts_form_body_with_client_secret_post(
    generic_emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    response = httpx2.post(
        generic_emulator.token_url, data=token_request_body(generic_emulator.config)
    )

    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    entry = generic_emulator.control.requests[-1]
    assert (entry.body_format, entry.client_auth) == ("form", "post")
    assert entry.token_fingerprint == token_fingerprint(token)


def test_generic_mode_accepts_http_basic_with_form_encoded_credentials(
    ozon_spec: object,
) -> None:
    from ozon_mcp.adapters.emulator import start_emulator

    config = EmulatorConfig(client_id="shop:1", client_secret="s3cr&t=+/", generic=True)
    with start_emulator(config) as handle:
        response = httpx2.post(
            handle.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(config.client_id, config.secret_value)},
        )
        assert response.status_code == 200, response.text
        entry = handle.control.requests[-1]
        assert (entry.body_format, entry.client_auth) == ("form", "basic")


def test_generic_mode_refuses_two_client_authentication_methods(
    generic_emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    response = httpx2.post(
        generic_emulator.token_url,
        data=token_request_body(generic_emulator.config),
        headers={"Authorization": basic("demo-client-id", "demo-client-secret")},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_generic_mode_wrong_basic_credentials_get_401_with_challenge(
    generic_emulator: EmulatorHandle,
) -> None:
    response = httpx2.post(
        generic_emulator.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic("demo-client-id", "nope")},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_generic_mode_refuses_repeated_form_parameters(generic_emulator: EmulatorHandle) -> None:
    response = httpx2.post(
        generic_emulator.token_url,
        content=b"grant_type=client_credentials&client_id=a&client_id=b&client_secret=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "client_id" in response.json()["error_description"]


def test_token_works_with_httpx_too(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    token = httpx.post(emulator.token_url, json=token_request_body(emulator.config)).json()[
        "access_token"
    ]
    response = httpx.get(
        emulator.base_url + "/api/client/limits/list",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200


def test_expired_token_gets_401_and_a_new_one_works(
    emulator: EmulatorHandle, api_client: httpx2.Client, token_request_body: TokenBody
) -> None:
    assert api_client.get("/api/client/campaign").status_code == 200

    emulator.control.advance_clock(1800)
    expired = api_client.get("/api/client/campaign")

    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]
    fresh = httpx2.post(emulator.token_url, json=token_request_body(emulator.config)).json()
    response = api_client.get(
        "/api/client/campaign", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert response.status_code == 200


def test_token_is_valid_until_just_before_expiry(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    emulator.control.advance_clock(1790)
    assert api_client.get("/api/client/campaign").status_code == 200


def test_revoked_tokens_get_401_and_new_tokens_work(
    emulator: EmulatorHandle, api_client: httpx2.Client, token_request_body: TokenBody
) -> None:
    assert emulator.control.revoke_all_tokens() == 1

    revoked = api_client.get("/api/client/campaign")

    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]
    fresh = httpx2.post(emulator.token_url, json=token_request_body(emulator.config)).json()
    ok = api_client.get(
        "/api/client/campaign", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert ok.status_code == 200


def test_minted_token_is_accepted_by_the_api(emulator: EmulatorHandle) -> None:
    token = emulator.control.mint_token(expires_in=60)
    response = httpx2.get(
        emulator.base_url + "/api/client/campaign", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert emulator.control.token_requests == 0
