"""Key derivation and encryption at rest of the shared token cache (no Redis needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from ozon_mcp.adapters.sharing import CacheKeyMismatchError, TokenCipher, make_cipher
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.ports import CacheKey, ScopeSet

PASSPHRASE = "correct horse battery staple, 32+ characters long"
KEY = CacheKey("https://idp.example/token", "client-1", ScopeSet.parse("read write"))


def test_a_short_passphrase_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(
        ConfigurationError, match=r"TOKEN_CACHE_KEY must be at least 32 characters \(got 31\)"
    ):
        TokenCipher.from_passphrase("x" * 31)
    TokenCipher.from_passphrase(SecretStr("x" * 32))  # the boundary is accepted


def test_without_a_key_redis_is_refused_unless_plaintext_is_allowed() -> None:
    with pytest.raises(ConfigurationError, match="TOKEN_CACHE_ALLOW_PLAINTEXT=1"):
        make_cipher(None, allow_plaintext=False)
    with pytest.raises(ConfigurationError, match="TOKEN_CACHE_KEY"):
        make_cipher(SecretStr(""), allow_plaintext=False)
    assert not make_cipher(None, allow_plaintext=True).encrypts
    assert make_cipher(PASSPHRASE, allow_plaintext=True).encrypts  # a key always wins


def test_derivation_is_deterministic_and_depends_on_the_passphrase() -> None:
    first, again = TokenCipher.from_passphrase(PASSPHRASE), TokenCipher.from_passphrase(PASSPHRASE)
    other = TokenCipher.from_passphrase(PASSPHRASE + "!")
    assert first.key_id == again.key_id != other.key_id
    assert first.entry_name(KEY) == again.entry_name(KEY) != other.entry_name(KEY)


def test_entry_names_reveal_neither_client_id_nor_url_and_separate_scope_sets() -> None:
    cipher = TokenCipher.from_passphrase(PASSPHRASE)
    name = cipher.entry_name(KEY)
    assert "client-1" not in name
    assert "idp" not in name
    assert name != cipher.entry_name(CacheKey(KEY.token_url, KEY.client_id, ScopeSet.parse("read")))
    assert name != cipher.entry_name(CacheKey(KEY.token_url, "client-2", KEY.scopes))
    # The same scope set written differently is the same token.
    assert name == cipher.entry_name(
        CacheKey(KEY.token_url, KEY.client_id, ScopeSet.parse("write,read"))
    )


@given(st.binary(max_size=2048))
def test_seal_then_open_round_trips_and_hides_the_plaintext(plaintext: bytes) -> None:
    cipher = TokenCipher.from_passphrase(PASSPHRASE)
    sealed = cipher.seal(plaintext, bound_to="entry-a")
    assert cipher.open(sealed, bound_to="entry-a") == plaintext
    if len(plaintext) >= 8:
        assert plaintext not in sealed


def test_each_seal_uses_a_fresh_nonce() -> None:
    cipher = TokenCipher.from_passphrase(PASSPHRASE)
    assert cipher.seal(b"same", bound_to="e") != cipher.seal(b"same", bound_to="e")


def test_another_key_a_moved_entry_or_a_flipped_bit_do_not_open() -> None:
    cipher = TokenCipher.from_passphrase(PASSPHRASE)
    sealed = cipher.seal(b"secret token", bound_to="entry-a")
    with pytest.raises(CacheKeyMismatchError, match="TOKEN_CACHE_KEY"):
        TokenCipher.from_passphrase(PASSPHRASE + "!").open(sealed, bound_to="entry-a")
    with pytest.raises(CacheKeyMismatchError):
        cipher.open(sealed, bound_to="entry-b")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(CacheKeyMismatchError):
        cipher.open(tampered, bound_to="entry-a")


def test_plaintext_and_encrypted_entries_are_never_confused() -> None:
    plain, encrypted = TokenCipher.plaintext(), TokenCipher.from_passphrase(PASSPHRASE)
    assert plain.open(plain.seal(b"t", bound_to="e"), bound_to="e") == b"t"
    with pytest.raises(CacheKeyMismatchError):
        encrypted.open(plain.seal(b"t", bound_to="e"), bound_to="e")
    with pytest.raises(CacheKeyMismatchError):
        plain.open(encrypted.seal(b"t", bound_to="e"), bound_to="e")
    assert repr(encrypted).startswith("TokenCipher(AES-GCM")
    assert PASSPHRASE not in repr(encrypted)
