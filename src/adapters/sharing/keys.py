"""The secrets of the shared token cache: Redis key names and encryption at rest.

Everything comes from one operator-chosen passphrase, `TOKEN_CACHE_KEY` (at least 32
characters), through HKDF-SHA256 with a distinct `info` per use, so the AES-GCM key, the key that
names Redis entries and the public key id never reveal one another. The key id (an HMAC of a
constant) is stored next to each entry: a replica with another `TOKEN_CACHE_KEY` recognises at
once that the entry is not for it, instead of mistaking it for corruption.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.ports import CacheKey

MIN_KEY_CHARS = 32
PLAINTEXT_KEY_ID = "plaintext"
_SALT = b"ozon-mcp token cache v1"
_NONCE_BYTES = 12
_ENCRYPTED_PREFIX = b"e1:"
_PLAINTEXT_PREFIX = b"p1:"


class CacheKeyMismatchError(Exception):
    """A stored entry was written with another `TOKEN_CACHE_KEY` (or was tampered with)."""


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(material)


class TokenCipher:
    """Names and seals shared cache entries; `TokenCipher.plaintext()` only names them.

    Build it with `TokenCipher.from_passphrase(...)` (encrypted, the default for Redis) or
    `TokenCipher.plaintext()` (only when the operator set TOKEN_CACHE_ALLOW_PLAINTEXT=1).
    """

    def __init__(self, aead_key: bytes | None, naming_key: bytes | None) -> None:
        self._aead = AESGCM(aead_key) if aead_key is not None else None
        self._naming_key = naming_key
        if naming_key is None:
            self.key_id = PLAINTEXT_KEY_ID
        else:
            self.key_id = hmac.new(naming_key, b"key id", hashlib.sha256).hexdigest()[:16]

    @classmethod
    def from_passphrase(cls, passphrase: SecretStr | str) -> TokenCipher:
        """Derive the keys from TOKEN_CACHE_KEY; a short passphrase is a configuration error."""
        text = passphrase.get_secret_value() if isinstance(passphrase, SecretStr) else passphrase
        if len(text) < MIN_KEY_CHARS:
            raise ConfigurationError(
                f"TOKEN_CACHE_KEY must be at least {MIN_KEY_CHARS} characters (got {len(text)}): "
                "use a long random value, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`, the same on every replica"
            )
        material = text.encode("utf-8")
        return cls(_derive(material, b"aes-256-gcm"), _derive(material, b"entry names"))

    @classmethod
    def plaintext(cls) -> TokenCipher:
        """No encryption: a Redis reader can use the tokens (TOKEN_CACHE_ALLOW_PLAINTEXT=1)."""
        return cls(None, None)

    @property
    def encrypts(self) -> bool:
        """Whether entries are encrypted at rest."""
        return self._aead is not None

    def entry_name(self, key: CacheKey) -> str:
        """An opaque name for `key`: a keyed hash of token URL, client id and scopes."""
        if self._naming_key is None:
            return key.digest  # an unkeyed hash: still never the secret, nor the client id
        material = json.dumps([key.token_url, key.client_id, key.scopes.as_parameter() or ""])
        return hmac.new(self._naming_key, material.encode("utf-8"), hashlib.sha256).hexdigest()[:40]

    def seal(self, plaintext: bytes, *, bound_to: str) -> bytes:
        """Encrypt `plaintext` for the entry `bound_to` (a copy under another name won't open)."""
        if self._aead is None:
            return _PLAINTEXT_PREFIX + plaintext
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, bound_to.encode("utf-8"))
        return _ENCRYPTED_PREFIX + nonce + sealed

    def open(self, blob: bytes, *, bound_to: str) -> bytes:
        """Decrypt what `seal` produced; raises `CacheKeyMismatchError` when it cannot."""
        if blob.startswith(_PLAINTEXT_PREFIX):
            if self._aead is not None:
                raise CacheKeyMismatchError(
                    "the entry is in plaintext but a TOKEN_CACHE_KEY is set"
                )
            return blob[len(_PLAINTEXT_PREFIX) :]
        if not blob.startswith(_ENCRYPTED_PREFIX) or self._aead is None:
            raise CacheKeyMismatchError("the entry is encrypted but no TOKEN_CACHE_KEY is set")
        body = blob[len(_ENCRYPTED_PREFIX) :]
        nonce, sealed = body[:_NONCE_BYTES], body[_NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, bound_to.encode("utf-8"))
        except InvalidTag:
            raise CacheKeyMismatchError(
                "the entry does not decrypt with this TOKEN_CACHE_KEY"
            ) from None

    def __repr__(self) -> str:
        mode = "AES-GCM" if self.encrypts else "plaintext"
        return f"TokenCipher({mode}, key_id={self.key_id})"
