"""`respite teams-package` from an installed wheel, far from the source tree (as in the image).

The wheel is built from a copy of what the Docker build context holds (pyproject.toml, README.md
and the three packages), so the build writes nothing into the repository and the test shows that
the image's sources are enough. With `wheel` (or setuptools >= 70.1) in this venv the build is
offline; otherwise pip fetches the build backend from the configured index, as `docker build`
does. The wheel is installed with --no-deps into a plain venv (no system site packages). Its
dependencies come from this venv's site-packages, appended to the new venv's sys.path by a .pth
file: that works offline wherever the tests run, whereas installing them would need an index or
a wheelhouse holding every dependency. This venv holds Respite only as an editable install, whose
hook a bare path line does not load, so `bot`, `handlers` and `scheduler` can only come from the
wheel; the test checks that too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"
PRIVACY = "https://wellbeing.example.ie/respite/privacy"
TERMS = "https://wellbeing.example.ie/respite/terms"
VERSION = "2.4.1"


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


def _builds_wheels_here() -> bool:
    """Whether this venv's setuptools can build a wheel by itself (bdist_wheel is built in from
    setuptools 70.1, before that it comes from `wheel`). If not, pip builds in an isolated
    environment with the backend pyproject.toml asks for, from the configured index, as
    `docker build` does."""
    if importlib.util.find_spec("wheel") is not None:
        return True
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1)


def test_teams_package_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MICROSOFT_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"

    # The Docker build context, copied.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.db-wal", "*.db-shm")
    for package in ("bot", "handlers", "scheduler"):
        shutil.copytree(ROOT / package, src / package, ignore=skip)

    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    build = ["--no-build-isolation", "--no-index"] if _builds_wheels_here() else []
    _run([*pip, "wheel", "--no-deps", *build, "-w", str(wheels), "."], src, env)
    (wheel,) = wheels.glob("respite-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert "bot/data/msteams/manifest.json" in zf.namelist()

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    _run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        tmp_path,
        env,
    )
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        tmp_path,
        env,
    ).stdout.strip()
    (Path(site) / "respite-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "work"
    work.mkdir()
    where = _run(
        [
            str(python),
            "-c",
            "import bot, handlers, scheduler; "
            "print(bot.__file__); print(handlers.__file__); print(scheduler.__file__)",
        ],
        work,
        env,
    ).stdout.split()
    assert all(Path(f).is_relative_to(venv) for f in where), where

    out = work / "respite-teams.zip"
    done = _run(
        [
            str(venv / "bin" / "respite"),
            "teams-package",
            "--out",
            out.name,
            "--app-id",
            APP_ID,
            "--privacy-url",
            PRIVACY,
            "--terms-url",
            TERMS,
            "--version",
            VERSION,
        ],
        work,
        env,
    )
    assert "respite-teams.zip" in done.stdout
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == [
            "color.png",
            "de.json",
            "es.json",
            "manifest.json",
            "outline.png",
        ]
        manifest = json.loads(zf.read("manifest.json"))
        icons = {name: zf.read(name) for name in ("color.png", "outline.png")}
    assert manifest["id"] == APP_ID
    assert manifest["version"] == VERSION
    assert manifest["developer"]["privacyUrl"] == PRIVACY
    assert manifest["developer"]["termsOfUseUrl"] == TERMS
    assert manifest["bots"][0]["botId"] == APP_ID
    assert "{{" not in json.dumps(manifest)
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in icons.values())
