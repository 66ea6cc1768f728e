"""The build step that compiles the translation catalogs (.po) into the wheel (.mo).

pyproject.toml names `BuildPy` as setuptools' build_py, so `pip wheel .`, `python -m build` and
the Docker image all ship compiled catalogs. At run time `bot.infra.i18n` loads them, or, in a
source checkout without them, compiles the .po in memory. This module imports only Babel and
setuptools (both in `[build-system].requires`), never the rest of Respite.
"""

from __future__ import annotations

import io
from pathlib import Path

from setuptools.command.build_py import build_py  # type: ignore[import-untyped]

DOMAIN = "respite"


def compile_catalogs(locale_dir: Path, out_dir: Path) -> list[Path]:
    """Write <lang>/LC_MESSAGES/respite.mo under out_dir for every .po under locale_dir."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = out_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer.getvalue())
        written.append(target)
    return written


class BuildPy(build_py):  # type: ignore[misc]
    """setuptools' build_py, then the catalogs compiled into the build tree (not the sources)."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent.parent / "locale"
        if not self.dry_run:
            compile_catalogs(source, Path(self.build_lib) / "bot" / "locale")
