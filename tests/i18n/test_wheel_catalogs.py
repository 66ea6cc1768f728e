"""The wheel carries compiled catalogs: the build step turns every .po into a .mo.

Built like tests/test_teams_package_wheel.py does, from a copy of what the Docker build context
holds, so nothing is written into the repository.
"""

from __future__ import annotations

import gettext
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _builds_wheels_here() -> bool:
    """Whether this venv's setuptools builds a wheel by itself (bdist_wheel is built in from
    setuptools 70.1, before that it comes from `wheel`); if not, pip builds in an isolated
    environment from the configured index."""
    if importlib.util.find_spec("wheel") is not None:
        return True
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1)


def test_the_wheel_ships_a_compiled_catalog_per_language(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.mo")
    for package in ("bot", "handlers", "scheduler"):
        shutil.copytree(ROOT / package, src / package, ignore=skip)
    build = ["--no-build-isolation", "--no-index"] if _builds_wheels_here() else []
    wheels = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *build, "-w", str(wheels), "."],
        cwd=src, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = wheels.glob("respite-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for locale, submit in (("de", "Absenden"), ("es", "Enviar")):
            mo = f"bot/locale/{locale}/LC_MESSAGES/respite.mo"
            assert mo in names, sorted(n for n in names if "locale" in n)
            catalog = gettext.GNUTranslations(io.BytesIO(zf.read(mo)))
            assert catalog.gettext("Submit") == submit
    # Nothing compiled lands in the sources.
    assert not list((src / "bot" / "locale").rglob("*.mo"))
