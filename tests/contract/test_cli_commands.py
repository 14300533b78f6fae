"""The `ozon-mcp` command line as a user runs it (subprocesses with a clean environment, in an
empty working directory): --version/--help, `check` against the emulator, configuration
errors, `.env` files and the demo."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from mcp_support import run_cli, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True
CONSOLE_SCRIPT = Path(sys.executable).with_name("ozon-mcp")
EXIT_CONFIG = 2


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in names}


def test_version_from_the_console_script(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.exists(), (
        f"the ozon-mcp console script is not installed next to {sys.executable}"
    )
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "--version"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ozon-mcp {version('ozon-mcp')}"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["serve", "check", "demo", "emulator", "--version"]),
        (["serve"], ["--transport", "--host", "--port", "--spec", "--env-file"]),
        (["check"], ["--probe", "--spec", "--env-file"]),
        (["demo"], ["--expires-in"]),
        (["emulator"], ["--port", "--expires-in"]),
    ],
)
def test_help_on_every_command(tmp_path: Path, command: list[str], expected: list[str]) -> None:
    done = run_cli([*command, "--help"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    for option in expected:
        assert option in done.stdout, f"{option} missing from `{' '.join(command)} --help`"


def test_check_passes_against_the_emulator(emulator: EmulatorHandle, tmp_path: Path) -> None:
    done = run_cli(["check"], tmp_path, emulator.env())
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["OK"] * 4, done.stdout
    assert "configuration" in lines[0]
    assert "40 tools" in lines[1]
    assert "tok-" in lines[2]
    assert "expires_in 1800 s" in lines[2]
    assert "probe GetLimitsList" in lines[3]
    assert emulator.control.token_requests == 1
    assert [r.operation_id for r in emulator.control.requests if r.kind == "api"] == [
        "GetLimitsList"
    ]
    shown = done.stdout + done.stderr
    assert emulator.config.secret_value not in shown
    assert not [token for token in emulator.control.issued_tokens() if token in shown]


def test_check_with_a_wrong_secret_fails_naming_the_credentials(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    wrong = "not-the-secret-4711"
    done = run_cli(["check"], tmp_path, {**emulator.env(), "OAUTH_CLIENT_SECRET": wrong})
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if " FAIL " in line]
    assert len(failed) == 1
    assert "access token" in failed[0]
    assert "OAUTH_CLIENT_ID" in failed[0]
    assert "OAUTH_CLIENT_SECRET" in failed[0]
    assert wrong not in done.stdout + done.stderr
    assert emulator.control.api_calls == 0


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("OAUTH_TOKEN_URL", "http://auth.example.invalid/api/client/token"),
        ("API_BASE_URL", "http://api.example.invalid"),
    ],
)
def test_check_refuses_plain_http_off_this_machine_before_connecting(
    emulator: EmulatorHandle, tmp_path: Path, variable: str, url: str
) -> None:
    done = run_cli(["check"], tmp_path, {**emulator.env(), variable: url})
    assert done.returncode == EXIT_CONFIG, done.stdout + done.stderr
    assert variable in done.stdout, done.stdout
    assert "https://" in done.stdout, done.stdout
    assert done.stdout.startswith("[1] FAIL  configuration")
    # Nothing was sent anywhere: not even the (loopback) token endpoint was asked.
    assert emulator.control.token_requests == 0
    assert emulator.control.api_calls == 0
    assert "example.invalid" not in done.stderr  # no DNS or connection error was logged


def test_serve_refuses_plain_http_off_this_machine(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    urls = {
        "OAUTH_TOKEN_URL": "http://auth.example.invalid/api/client/token",
        "API_BASE_URL": "http://api.example.invalid",
    }
    done = run_cli(["serve"], tmp_path, {**emulator.env(), **urls})
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stdout == ""
    problems = [line for line in done.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == len(urls), done.stderr
    for variable in urls:
        [line] = [p for p in problems if p.strip().startswith(f"- {variable}")]
        assert "https://" in line


def test_serve_without_credentials_names_each_missing_variable(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    env = without(emulator.env(), "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET")
    done = run_cli(["serve"], tmp_path, env)
    assert done.returncode == EXIT_CONFIG
    assert done.stdout == ""  # stdout belongs to the protocol, even when refusing to start
    problems = [line for line in done.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == 2, done.stderr
    assert "OAUTH_CLIENT_ID" in problems[0]
    assert "OAUTH_CLIENT_SECRET" in problems[1]
    assert emulator.control.token_requests == 0


def test_check_without_client_id_names_it(emulator: EmulatorHandle, tmp_path: Path) -> None:
    done = run_cli(["check"], tmp_path, without(emulator.env(), "OAUTH_CLIENT_ID"))
    assert done.returncode == EXIT_CONFIG
    assert "FAIL" in done.stdout
    assert "OAUTH_CLIENT_ID is not set" in done.stdout
    assert emulator.control.token_requests == 0


@pytest.mark.parametrize("command", ["serve", "check"])
def test_invalid_values_exit_2_naming_each_variable(
    emulator: EmulatorHandle, tmp_path: Path, command: str
) -> None:
    bad = {
        "OAUTH_MAX_RETRIES": "abc",
        "LOG_FORMAT": "xml",
        "OAUTH_REFRESH_MARGIN_SECONDS": "-5",
    }
    done = run_cli([command], tmp_path, {**emulator.env(), **bad})
    assert done.returncode == EXIT_CONFIG, done.stdout + done.stderr
    problems = [line for line in done.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == len(bad), done.stderr
    for variable, value in bad.items():
        [line] = [p for p in problems if variable in p]
        assert repr(value) in line  # shows what was given (never for secrets)
    assert done.stdout == ""
    assert emulator.control.token_requests == 0


def test_settings_come_from_dotenv_and_env_file(emulator: EmulatorHandle, tmp_path: Path) -> None:
    good = "".join(f"{key}={value}\n" for key, value in emulator.env().items())
    (tmp_path / ".env").write_text(good, encoding="utf-8")
    from_dotenv = run_cli(["check"], tmp_path)
    assert from_dotenv.returncode == 0, from_dotenv.stdout + from_dotenv.stderr

    # --env-file replaces ./.env: a broken .env in the working directory is not read.
    (tmp_path / ".env").write_text(good.replace("demo-client-secret", "stale"), encoding="utf-8")
    (tmp_path / "ozon.env").write_text(good, encoding="utf-8")
    chosen = run_cli(["check", "--env-file", "ozon.env"], tmp_path)
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert emulator.control.token_requests == 2  # one token per successful check


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    done = run_cli(["demo"], tmp_path, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in range(1, 8):
        assert f"\n{step}. " in done.stdout, f"step {step} missing:\n{done.stdout}"
    assert "Done in" in done.stdout
    assert "FAILED" not in done.stdout
    assert "Traceback" not in done.stderr
