"""Developer tasks: `nox` runs tests, lint and typecheck; `live` and `bench` run on demand."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and contract tests with branch coverage (domain must stay >= 95%)."""
    _ensure_redis_server(session)
    session.install("-e", ".[dev]")
    session.run(
        "pytest",
        "tests/unit",
        "tests/contract",
        "--cov",
        "--cov-report=term",
        *session.posargs,
    )
    session.run("coverage", "report", "--include=src/domain/*", "--fail-under=95", "--skip-covered")


def _ensure_redis_server(session: nox.Session) -> None:
    """The Redis contract tests start a real redis-server on a loopback port; install Debian's
    package when it is missing and this machine can (root with apt-get), else say what to do."""
    if shutil.which("redis-server"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "redis-server", external=True)
        return
    session.error(
        "the Redis contract tests need redis-server on PATH: install it "
        "(`sudo apt-get install redis-server`, `brew install redis`) and run nox again"
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and the import-linter layer contracts."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the ozon_mcp package (src/ installed under its package name)."""
    # The strict editable mode lays the package out as a tree of links that mypy can follow;
    # the default mode's import hook is invisible to static tools.
    session.install("-e", ".[dev]", "--config-settings", "editable_mode=strict")
    session.run("mypy", "--strict")


@nox.session(python=PYTHON)
def live(session: nox.Session) -> None:
    """Tests against the real Ozon Performance API; needs real credentials."""
    missing = [name for name in ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET") if not os.getenv(name)]
    if missing:
        session.error(
            "live tests talk to the real Ozon Performance API: set "
            + " and ".join(missing)
            + " (your Performance API client credentials) and run `nox -s live` again"
        )
    session.install("-e", ".[dev]")
    session.run("pytest", "tests/live", "-m", "live", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with Authlib, httpx-auth and FastMCP (never part of CI).

    Writes .bench/results.json, prints the tables and, after a full run, refreshes
    docs/benchmarks.md. `nox -s bench -- --quick --reps 1` is a smoke run; `-- --help` lists
    the options.
    """
    if "--scaling" in session.posargs:  # the Redis replicas of docs/scaling.md
        _ensure_redis_server(session)
    session.install("-e", ".[dev,bench]")
    command = " ".join(["nox -s bench", *(["--", *session.posargs] if session.posargs else [])])
    session.run("python", "-m", "benchmarks", *session.posargs, env={"BENCH_COMMAND": command})


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """Minutes of `ozon-mcp serve` over stdio against a flaky token endpoint (never part of CI).

    3 s tokens, a 1 s refresh margin, 10 % 503 / 3 % 429 / 0.5 % hung token requests, 20
    concurrent callers, at least 20,000 calls over at least 5 minutes; prints a summary table
    and fails on a call a healthy token could have served, a token request count more than
    10 % off the ideal, or RSS / open-fd growth. `nox -s soak -- --minutes 0.5 --calls 600` is
    a smoke run; `-- --help` lists the options.
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks.soak", *session.posargs)
