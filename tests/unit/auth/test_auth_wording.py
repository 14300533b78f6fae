"""The same facts in two vocabularies: the server's variables and the library's arguments.

The domain and the token adapters never spell a setting; `ozon_mcp.app.wording` names them as
environment variables, `ClientCredentialsAuth` as its keyword arguments.
"""

from __future__ import annotations

import re

import pytest
from auth_support import KEY, ScriptedEndpoint, lifecycle, refused
from fake_clock import FakeClock

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.auth import InMemoryTokenCache, SyncTokenProvider
from ozon_mcp.adapters.auth.httpx_auth import KEYWORD_NAMES
from ozon_mcp.app.wording import ENV_NAMES, endpoint_config
from ozon_mcp.domain import (
    ConfigurationError,
    FailureKind,
    FetchFailure,
    InvalidCredentialsError,
    Setting,
    SettingError,
    SettingNames,
)

OAUTH_NAME = re.compile(r"\bOAUTH_[A-Z_]+")


def test_every_setting_has_a_variable_and_a_keyword_name() -> None:
    assert set(ENV_NAMES) == set(Setting) == set(KEYWORD_NAMES)
    assert all(OAUTH_NAME.fullmatch(name) for name in ENV_NAMES.values())
    assert KEYWORD_NAMES[Setting.CLIENT_SECRET] == "client_secret="


def test_an_empty_secret_is_named_by_keyword_for_library_users() -> None:
    with pytest.raises(SettingError) as caught:
        ClientCredentialsAuth(token_url="https://a.example/token", client_id="id", client_secret="")
    assert str(caught.value).startswith("client_secret= is empty")
    assert not OAUTH_NAME.search(str(caught.value))
    assert caught.value.setting is Setting.CLIENT_SECRET


def test_an_empty_secret_is_named_by_variable_for_the_server() -> None:
    with pytest.raises(ConfigurationError, match=r"^OAUTH_CLIENT_SECRET is empty"):
        endpoint_config(token_url="https://a.example/token", client_id="id", client_secret="")
    with pytest.raises(ConfigurationError, match=r"^OAUTH_TOKEN_URL must be an absolute"):
        endpoint_config(token_url="token", client_id="id", client_secret="s")


def _refusing_provider(failure: FetchFailure, names: SettingNames | None) -> SyncTokenProvider:
    return SyncTokenProvider(
        ScriptedEndpoint([failure]),
        lifecycle(FakeClock()),
        InMemoryTokenCache(),
        KEY,
        FakeClock(),
        proactive_refresh=False,
        setting_names=names,
    )


def _refused_by(names: SettingNames, oauth_error: str = "invalid_client") -> tuple[str, str]:
    """The error a caller gets and the stats' last_error, from a provider using `names`."""
    failure = FetchFailure(FailureKind.PERMANENT, "HTTP 400", 400, None, oauth_error)
    provider = _refusing_provider(failure, names)
    with pytest.raises(InvalidCredentialsError) as caught:
        provider.get_token()
    last_error = provider.stats().last_error
    assert last_error is not None
    return str(caught.value), last_error


def test_refused_credentials_name_the_variables_in_the_server() -> None:
    raised, last_error = _refused_by(ENV_NAMES)
    assert "check OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET" in raised
    assert "check OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET" in last_error


def test_refused_credentials_name_the_keywords_in_the_library() -> None:
    raised, last_error = _refused_by(KEYWORD_NAMES)
    assert "check client_id= and client_secret=" in raised
    assert "check client_id= and client_secret=" in last_error
    assert not OAUTH_NAME.search(raised + last_error)


@pytest.mark.parametrize(
    ("oauth_error", "env_words", "keyword_words"),
    [
        ("invalid_scope", "check OAUTH_SCOPE", "check scope="),
        (
            "invalid_request",
            "check OAUTH_TOKEN_REQUEST_FORMAT (json|form) and OAUTH_CLIENT_AUTH",
            "check request_format= (json|form) and client_auth=",
        ),
    ],
)
def test_each_oauth_error_names_its_settings_in_both_vocabularies(
    oauth_error: str, env_words: str, keyword_words: str
) -> None:
    assert env_words in _refused_by(ENV_NAMES, oauth_error)[0]
    assert keyword_words in _refused_by(KEYWORD_NAMES, oauth_error)[0]


def test_refused_from_the_scripted_helper_reads_plainly_without_names() -> None:
    provider = _refusing_provider(refused(), None)
    with pytest.raises(InvalidCredentialsError, match="check client_id and client_secret"):
        provider.get_token()
