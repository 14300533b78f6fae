"""The built wheel installs exactly one top-level package, `ozon_mcp`, and works next to a
user's own `domain/`, `adapters/` and `app/` packages (the names it must never take)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest
from mcp_support import run_captured, subprocess_env

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DECOYS = ("domain", "adapters", "app")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    done = run_captured(args, cwd, env, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(PROJECT_ROOT),
        ],
        cwd=out,
        env=subprocess_env(),
    )
    (built,) = out.glob("ozon_mcp-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel alone, unpacked by pip into a target folder (its dependencies come from the
    test environment, so nothing is downloaded)."""
    target = tmp_path_factory.mktemp("site")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        cwd=target,
        env=subprocess_env(),
    )
    return target


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """A working directory holding a user's own packages named like our source folders."""
    for name in DECOYS:
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(f"OWNER = 'the user {name}'\n", encoding="utf-8")
    return tmp_path


def test_the_wheel_has_one_top_level_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {
        name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")
    }
    assert top_level == {"ozon_mcp"}
    for shipped in (
        "ozon_mcp/__init__.py",
        "ozon_mcp/py.typed",
        "ozon_mcp/domain/lifecycle.py",
        "ozon_mcp/adapters/openapi/data/ozon-performance.openapi.json",
        "ozon_mcp/app/cli.py",
    ):
        assert shipped in names, f"{shipped} missing from the wheel"
    with zipfile.ZipFile(wheel) as archive:
        top_level_txt = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if top_level_txt:
            assert archive.read(top_level_txt[0]).decode().split() == ["ozon_mcp"]
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "ozon-mcp = ozon_mcp.app.cli:main" in archive.read(entry_points).decode()


def test_public_imports_beside_a_users_own_packages(installed: Path, user_project: Path) -> None:
    script = (
        "import app, adapters, domain\n"
        "import ozon_mcp\n"
        "from ozon_mcp import ClientCredentialsAuth\n"
        "from ozon_mcp.domain import TokenLifecycle, RetryPolicy, Clock, SystemClock\n"
        "print(app.OWNER, adapters.OWNER, domain.OWNER, sep='|')\n"
        "print(ozon_mcp.__file__)\n"
        "print(ClientCredentialsAuth.__module__, TokenLifecycle.__module__, RetryPolicy.__name__)\n"
    )
    env = subprocess_env({"PYTHONPATH": str(installed)})
    lines = _run([sys.executable, "-c", script], cwd=user_project, env=env).splitlines()
    assert lines[0] == "the user app|the user adapters|the user domain"
    assert Path(lines[1]).resolve().is_relative_to(installed.resolve())
    assert lines[2] == ("ozon_mcp.adapters.auth.httpx_auth ozon_mcp.domain.lifecycle RetryPolicy")


def test_the_console_script_demo_beside_a_users_own_packages(
    installed: Path, user_project: Path
) -> None:
    script = installed / "bin" / "ozon-mcp"
    assert script.exists(), "the wheel installs no ozon-mcp console script"
    # The user's packages come first on the path, as they would for a script in that folder.
    env = subprocess_env({"PYTHONPATH": f"{user_project}{os.pathsep}{installed}"})
    out = _run([sys.executable, str(script), "demo"], cwd=user_project, env=env, timeout=90)
    assert "Done in" in out
    assert "FAILED" not in out
