"""Shared fixtures for contract tests: a real emulator on a free loopback port, tokens, clients,
and an independent validator for the spec's response schemas.

Fixtures (function-scoped unless noted):
    anyio_backend          "asyncio" (for `@pytest.mark.anyio` tests)
    ozon_spec              the bundled, repaired spec (session)
    emulator_config        EmulatorConfig for `emulator`; override it in a module to change it
    emulator               a running EmulatorHandle: in a module that sets
                           `SHARED_EMULATOR = True`, one per module and config, reset before
                           each test (`control.reset()`); elsewhere a fresh one per test
    emulator_pool          the module's shared emulators (module)
    generic_emulator       a running EmulatorHandle in generic mode (form + HTTP Basic
                           accepted); shared and reset like `emulator` where opted in
    emulator_token         a valid access token from `emulator`'s token endpoint
    api_client             an httpx2.Client on `emulator` sending that token
    loopback_tls           one shared TLS context for test HTTP clients (session)
    schema_errors          fn(pointer, instance) -> violations of the spec schema there (session)
    response_schema_errors fn(operation_id, response) -> violations of its 2xx schema (session)
    token_request_body     fn(config) -> the documented JSON token request body (session)
    bearer                 fn(token) -> {"Authorization": "Bearer ..."} (session)
"""

from __future__ import annotations

import copy
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from emulator_support import bearer, token_request_body
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator
from ozon_mcp.adapters.openapi.spec import LoadedSpec, load_spec

FAST_REPORTS = 0.2  # seconds: reports finish quickly so contract tests stay fast


@pytest.fixture(name="token_request_body", scope="session")
def token_request_body_fixture() -> Callable[[EmulatorConfig], dict[str, str]]:
    return token_request_body


@pytest.fixture(name="bearer", scope="session")
def bearer_fixture() -> Callable[[str], dict[str, str]]:
    return bearer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def ozon_spec() -> LoadedSpec:
    return load_spec()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(report_delay=FAST_REPORTS)


class EmulatorPool:
    """The running emulators of one test module, one per config, reset before each reuse.

    Starting an emulator costs a server thread, a port and the spec's canned answers; a module
    that opts in (`SHARED_EMULATOR = True`) pays that once per distinct config instead of once
    per test. A test that stopped its emulator gets a new one.
    """

    def __init__(self, spec: LoadedSpec) -> None:
        self._spec = spec
        self._running: dict[EmulatorConfig, EmulatorHandle] = {}

    def acquire(self, config: EmulatorConfig) -> EmulatorHandle:
        handle = self._running.get(config)
        if handle is not None and handle.running:
            handle.control.reset()
            return handle
        handle = start_emulator(config, spec=self._spec)
        self._running[config] = handle
        return handle

    def stop_all(self) -> None:
        for handle in self._running.values():
            handle.stop()
        self._running.clear()


@pytest.fixture(scope="module")
def emulator_pool(ozon_spec: LoadedSpec) -> Iterator[EmulatorPool]:
    pool = EmulatorPool(ozon_spec)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def emulator(
    request: pytest.FixtureRequest, emulator_config: EmulatorConfig, ozon_spec: LoadedSpec
) -> Iterator[EmulatorHandle]:
    if getattr(request.module, "SHARED_EMULATOR", False):
        pool: EmulatorPool = request.getfixturevalue("emulator_pool")
        yield pool.acquire(emulator_config)
        return
    handle = start_emulator(emulator_config, spec=ozon_spec)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def generic_emulator(
    request: pytest.FixtureRequest, ozon_spec: LoadedSpec
) -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(generic=True, report_delay=FAST_REPORTS)
    if getattr(request.module, "SHARED_EMULATOR", False):
        pool: EmulatorPool = request.getfixturevalue("emulator_pool")
        yield pool.acquire(config)
        return
    handle = start_emulator(config, spec=ozon_spec)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def loopback_tls() -> ssl.SSLContext:
    """One TLS context for the test clients: each new one loads the CA bundle (0.1-0.2 s),
    which cost more than a test itself; the emulator speaks plain http anyway."""
    return httpx2.create_ssl_context()


@pytest.fixture
def emulator_token(emulator: EmulatorHandle, loopback_tls: ssl.SSLContext) -> str:
    response = httpx2.post(
        emulator.token_url, json=token_request_body(emulator.config), verify=loopback_tls
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def api_client(
    emulator: EmulatorHandle, emulator_token: str, loopback_tls: ssl.SSLContext
) -> Iterator[httpx2.Client]:
    with httpx2.Client(
        base_url=emulator.base_url, headers=bearer(emulator_token), verify=loopback_tls
    ) as client:
        yield client


def _json_schema_document(document: dict[str, Any]) -> dict[str, Any]:
    """The spec as plain JSON Schema: `nullable` -> null type, defective `enum: null` dropped.

    Written independently of the emulator's own validator on purpose: the emulator's answers
    must not be judged by the code that produced them.
    """
    fixed = copy.deepcopy(document)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "enum" in node and not isinstance(node["enum"], list):
                del node["enum"]
            if node.pop("nullable", False) and isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(fixed)
    return fixed


@pytest.fixture(scope="session")
def schema_errors(ozon_spec: LoadedSpec) -> Callable[[str, Any], list[str]]:
    registry: Registry[Any] = Registry().with_resource(
        "urn:test-spec", DRAFT4.create_resource(_json_schema_document(ozon_spec.document))
    )

    def errors(pointer: str, instance: Any) -> list[str]:
        validator = Draft4Validator({"$ref": f"urn:test-spec#{pointer}"}, registry=registry)
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]

    return errors


@pytest.fixture(scope="session")
def response_schema_errors(
    ozon_spec: LoadedSpec, schema_errors: Callable[[str, Any], list[str]]
) -> Callable[[str, httpx2.Response], list[str]]:
    """Violations of the operation's documented 2xx response (schema of its content type)."""
    located: dict[str, tuple[str, str]] = {}
    for method, path, _item, operation in ozon_spec.operations():
        escaped = path.replace("~", "~0").replace("/", "~1")
        for code, response in operation["responses"].items():
            if str(code).startswith("2"):
                for media in response.get("content") or {}:
                    pointer = f"/paths/{escaped}/{method}/responses/{code}/content/"
                    pointer += media.replace("/", "~1") + "/schema"
                    located[operation["operationId"]] = (pointer, media)

    def errors(operation_id: str, response: httpx2.Response) -> list[str]:
        pointer, media = located[operation_id]
        received = response.headers.get("content-type", "").split(";")[0]
        if received != media:
            return [f"content-type {received!r}, documented {media!r}"]
        body = response.json() if media == "application/json" else response.text
        return schema_errors(pointer, body)

    return errors
