"""`respite forget` as an admin runs it: it needs the server's RESPITE_SECRET (the person's keyed
hashes are found with it), warns when the person is still on the roster, and prints what went."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import cli_env, run
from tests.support.roster import CLINICIANS, roster_data

SECRET = "forget-cli-test-secret-0123456789abcdef01234"


def test_forget_needs_the_secret(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data())
    env.pop("RESPITE_SECRET", None)
    result = run(["forget", "--platform", "slack", "--user", "U0GONE1"], env)
    assert result.returncode == 2
    assert "RESPITE_SECRET is not set" in result.stderr


def test_forget_warns_about_someone_still_on_the_roster(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data(), RESPITE_SECRET=SECRET)
    result = run(["forget", "--platform", "slack", "--user", CLINICIANS[0]], env)
    assert result.returncode == 0, result.stderr
    assert "still on the roster" in result.stderr
    assert f"forgot slack:{CLINICIANS[0]}: 0 row(s)" in result.stdout
    gone = run(["forget", "--platform", "slack", "--user", "U0GONE1"], env)
    assert gone.returncode == 0 and "still on the roster" not in gone.stderr
    bad = run(["forget", "--platform", "irc", "--user", "U0GONE1"], env)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
