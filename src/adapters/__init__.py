"""Adapters: everything that talks to the outside world on behalf of the domain."""

from adapters.auth import ClientCredentialsAuth

__all__ = ["ClientCredentialsAuth"]
