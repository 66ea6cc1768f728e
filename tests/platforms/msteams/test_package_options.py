"""`respite teams-package --privacy-url/--terms-url/--version`: what goes into the manifest, and
what is refused (exit 2, one line on stderr, no file written)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.platforms.msteams.package import PackageOptions, check_https_url, check_version

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"


@pytest.fixture(autouse=True)
def _no_app_id_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)


def _manifest(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as zf:
        data: dict[str, object] = json.loads(zf.read("manifest.json"))
    return data


def test_options_go_into_the_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.zip"
    argv = ["teams-package", "--out", str(out), "--app-id", APP_ID, "--version", "10.0.3"]
    argv += ["--privacy-url", "https://hse.example.ie/privacy?lang=en"]
    argv += ["--terms-url", "https://hse.example.ie:8443/terms#respite"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "10.0.3" in captured.out
    assert captured.err == ""
    data = _manifest(out)
    assert data["version"] == "10.0.3"
    assert data["developer"] == {
        "name": "Respite",
        "websiteUrl": "https://respite.example.org",
        "privacyUrl": "https://hse.example.ie/privacy?lang=en",
        "termsOfUseUrl": "https://hse.example.ie:8443/terms#respite",
    }


def test_defaults_are_filled_and_the_placeholders_are_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.zip"
    assert main(["teams-package", "--out", str(out), "--app-id", APP_ID]) == 0
    data = _manifest(out)
    assert data["version"] == "1.0.0"
    assert data["developer"]["privacyUrl"].startswith("https://")  # type: ignore[index]
    assert "{{" not in json.dumps(data)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--privacy-url and --terms-url" in err[0]

    argv = ["teams-package", "--out", str(out), "--app-id", APP_ID]
    assert main([*argv, "--privacy-url", "https://a.example/p"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--terms-url" in err[0] and "--privacy-url" not in err[0]


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--privacy-url", "http://hse.example.ie/privacy", "must start with https://"),
        ("--privacy-url", "hse.example.ie/privacy", "must start with https://"),
        ("--privacy-url", "https:///privacy", "has no host"),
        ("--terms-url", "https://user:pw@hse.example.ie/terms", "user name or password"),
        ("--terms-url", "https://hse.example.ie/terms of use", "spaces or control characters"),
        ("--terms-url", "https://hse.example.ie/\nterms", "spaces or control characters"),
        ("--terms-url", "https://hse.example.ie:99999/terms", "not a valid URL"),
        ("--terms-url", "https://[::1/terms", "not a valid URL"),
        ("--terms-url", "https://hse.example.ie/" + "t" * 2048, "longer than 2048"),
        ("--terms-url", "javascript:alert(1)", "must start with https://"),
        ("--version", "1.2", "semantic version"),
        ("--version", "v1.2.3", "semantic version"),
        ("--version", "1.2.3-beta.1", "semantic version"),
        ("--version", "01.2.3", "semantic version"),
        ("--version", "1.2.3\n", "semantic version"),
        ("--version", "", "semantic version"),
    ],
)
def test_bad_values_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, words: str
) -> None:
    out = tmp_path / "p.zip"
    status = main(["teams-package", "--out", str(out), "--app-id", APP_ID, flag, value])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and words in lines[0]
    assert not out.exists()


def test_checks_directly() -> None:
    assert check_version("0.0.0") == "0.0.0"
    assert check_version("12.340.5") == "12.340.5"
    assert check_https_url("privacy", "HTTPS://Example.org") == "HTTPS://Example.org"
    with pytest.raises(ValueError, match="GUID"):
        PackageOptions(app_id=APP_ID + "\n")
    with pytest.raises(ValueError, match="terms of use URL"):
        PackageOptions(app_id=APP_ID, terms_url="ftp://example.org/terms")


def test_an_unwritable_out_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["teams-package", "--out", str(blocker / "p.zip"), "--app-id", APP_ID]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write")
