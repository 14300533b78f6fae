"""OAuth 2.0 resource-server mode: bearer JWTs checked against a local issuer's JWKS served on
loopback (valid, expired, wrong audience, wrong signature, unknown kid then rotation), and the
HTTP side: RFC 9728 metadata, 401 challenges, /metrics protected, probes open."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_support import emulator_settings, result_text
from oauth_support import LocalIssuer, local_issuer, rsa_key
from test_http_operations import serving

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.mcp.oauth_resource import JwksCache, JwtVerifier, ResourceServerConfig
from ozon_mcp.app.container import Container

AUDIENCE = "https://mcp.example.test/mcp"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(
    issuer: LocalIssuer, clock: FakeClock | None = None, *, discover: bool = False
) -> tuple[JwtVerifier, JwksCache]:
    config = ResourceServerConfig(
        issuer=issuer.url,
        audience=AUDIENCE,
        resource_url=AUDIENCE,
        jwks_url=None if discover else issuer.jwks_url,
    )
    keys = JwksCache(
        issuer.url, config.jwks_url, min_refresh_seconds=30.0, clock=clock or FakeClock()
    )
    return JwtVerifier(config, keys), keys


@pytest.mark.anyio
async def test_a_valid_token_is_accepted_with_its_scopes_and_subject() -> None:
    key = rsa_key("k1")
    with local_issuer(key) as issuer:
        verifier, keys = verifier_for(issuer, discover=True)
        access = await verifier.verify_token(
            issuer.token(key, audience=[AUDIENCE, "other"], scope="mcp metrics")
        )
        again = await verifier.verify_token(issuer.token(key, audience=AUDIENCE))
    assert access is not None
    assert access.scopes == ["mcp", "metrics"]
    assert access.subject == "user-1"
    assert access.client_id == "agent-1"
    assert access.claims == {"iss": issuer.url}
    assert again is not None
    assert keys.fetches == 1  # cached: the JWKS was fetched once, found through the metadata
    assert issuer.jwks_requests == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "case", ["expired", "wrong audience", "wrong issuer", "no exp", "not yet valid"]
)
async def test_claims_that_do_not_fit_are_refused(case: str) -> None:
    key = rsa_key("k1")
    with local_issuer(key) as issuer:
        verifier, _keys = verifier_for(issuer)
        options: dict[str, Any] = {"audience": AUDIENCE}
        if case == "expired":
            options["lifetime"] = -120  # beyond the 30 s leeway
        elif case == "wrong audience":
            options["audience"] = "https://another.example.test/mcp"
        elif case == "wrong issuer":
            options["issuer"] = "https://evil.example.test"
        elif case == "not yet valid":
            options["nbf"] = 4_000_000_000
        token = issuer.token(key, **options)
        if case == "no exp":
            token = jwt.encode(
                {"alg": "RS256", "kid": "k1"}, {"iss": issuer.url, "aud": AUDIENCE}, key
            )
        assert await verifier.verify_token(token) is None


@pytest.mark.anyio
async def test_a_wrong_signature_and_foreign_algorithms_are_refused() -> None:
    key, impostor = rsa_key("k1"), rsa_key("k1")  # same kid, another key pair
    with local_issuer(key) as issuer:
        verifier, _keys = verifier_for(issuer)
        forged = issuer.token(impostor, audience=AUDIENCE)
        good = issuer.token(key, audience=AUDIENCE)
        header, payload, signature = good.split(".")
        tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
        secret = OctKey.import_key(b"k" * 32)
        hmac_token = jwt.encode(
            {"alg": "HS256", "kid": "k1"}, {"iss": issuer.url, "aud": AUDIENCE, "exp": 4e9}, secret
        )
        unsigned = f"{header.replace(header, 'eyJhbGciOiJub25lIn0')}.{payload}."
        assert await verifier.verify_token(good) is not None
        for token in (forged, tampered, hmac_token, unsigned, "not-a-jwt", ""):
            assert await verifier.verify_token(token) is None, token[:30]


@pytest.mark.anyio
async def test_an_unknown_kid_refreshes_the_jwks_and_key_rotation_works() -> None:
    old, new = rsa_key("2025-old"), ECKey.generate_key("P-256", parameters={"kid": "2026-new"})
    clock = FakeClock()
    with local_issuer(old) as issuer:
        verifier, keys = verifier_for(issuer, clock)
        assert await verifier.verify_token(issuer.token(old, audience=AUDIENCE)) is not None
        # The issuer rotates: the new key is published, the old one withdrawn.
        issuer.published = [new]
        rotated = issuer.token(new, audience=AUDIENCE, algorithm="ES256")
        # Within the refresh interval an unknown kid does not fetch again (no fetch storm) ...
        assert await verifier.verify_token(rotated) is None
        assert keys.fetches == 1
        # ... after it, the unknown kid triggers one fetch and the rotated key is accepted.
        clock.now += 31
        assert await verifier.verify_token(rotated) is not None
        assert keys.fetches == 2
        # Still cached: a second token of the new key needs no fetch; a bogus kid gets none.
        assert await verifier.verify_token(issuer.token(new, audience=AUDIENCE, algorithm="ES256"))
        assert await verifier.verify_token(issuer.token(old, audience=AUDIENCE)) is None
        assert keys.fetches == 2
    assert issuer.jwks_requests == 2


@pytest.mark.anyio
async def test_an_unreachable_jwks_refuses_tokens_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = rsa_key("k1")
    with local_issuer(key) as issuer:
        token = issuer.token(key, audience=AUDIENCE)
        url = issuer.url
    config = ResourceServerConfig(issuer=url, audience=AUDIENCE, resource_url=AUDIENCE)
    verifier = JwtVerifier(config, JwksCache(url))
    assert await verifier.verify_token(token) is None
    assert "cannot find the issuer's JWKS" in caplog.text
    assert token not in caplog.text


@pytest.mark.anyio
async def test_the_http_transport_in_resource_server_mode(emulator: EmulatorHandle) -> None:
    key = rsa_key("k1")
    with local_issuer(key) as issuer:
        settings = emulator_settings(
            emulator,
            mcp_http_auth_issuer=issuer.url,
            mcp_http_auth_audience=AUDIENCE,
            mcp_http_auth_required_scopes="mcp",
            mcp_http_resource_url=AUDIENCE,
        )
        good = issuer.token(key, audience=AUDIENCE, scope="mcp")
        unscoped = issuer.token(key, audience=AUDIENCE, scope="other")
        expired = issuer.token(key, audience=AUDIENCE, lifetime=-120)
        async with (
            serving(Container(settings=settings)) as base,
            httpx2.AsyncClient(base_url=base) as raw,
        ):
            headers = {"Accept": "application/json, text/event-stream"}
            metadata = await raw.get("/.well-known/oauth-protected-resource/mcp")
            anonymous = await raw.post("/mcp", json={}, headers=headers)
            late = await raw.post(
                "/mcp", json={}, headers={**headers, "Authorization": f"Bearer {expired}"}
            )
            narrow = await raw.post(
                "/mcp", json={}, headers={**headers, "Authorization": f"Bearer {unscoped}"}
            )
            metrics_anonymous = await raw.get("/metrics")
            metrics = await raw.get("/metrics", headers={"Authorization": f"Bearer {good}"})
            health = await raw.get("/healthz")
            ready = await raw.get("/readyz")
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {good}"}) as authorised,
                Client(streamable_http_client(f"{base}/mcp", http_client=authorised)) as client,
            ):
                limits = await client.call_tool("GetLimitsList", {})
    assert metadata.status_code == 200
    published = metadata.json()
    assert published["resource"] == AUDIENCE
    assert published["authorization_servers"] == [issuer.url]
    assert published["scopes_supported"] == ["mcp"]
    for refused in (anonymous, late, metrics_anonymous):
        assert refused.status_code == 401
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert (
            'resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"'
            in challenge
        )
    assert narrow.status_code == 403
    assert "insufficient_scope" in narrow.headers["www-authenticate"]
    assert metrics.status_code == 200
    assert "ozon_mcp_tool_calls" in metrics.text
    assert health.status_code == 200
    assert ready.status_code in (200, 503)  # open: never a 401, token or not
    assert not limits.is_error, result_text(limits)
