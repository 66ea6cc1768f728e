"""A pytest plug-in: run the Teams tests on the SDK RESPITE_TEST_TEAMS_SDK names.

`pytest -p tests.support.teams_sdk` with RESPITE_TEST_TEAMS_SDK=agents sets TEAMS_SDK=agents for
every Settings the tests build, refuses to start when the Agents SDK cannot run here (Python
3.11, or not installed) rather than quietly testing botbuilder, and fails the run if any test
was skipped, so a green agents run means every test ran on the Agents SDK.
"""

from __future__ import annotations

import os

import pytest

from bot.config import agents_sdk_problem

CHOICES = ("botbuilder", "agents")


def chosen() -> str:
    return os.environ.get("RESPITE_TEST_TEAMS_SDK", "botbuilder")


def pytest_configure(config: pytest.Config) -> None:
    sdk = chosen()
    if sdk not in CHOICES:
        raise pytest.UsageError(f"RESPITE_TEST_TEAMS_SDK: expected {' or '.join(CHOICES)}")
    if sdk == "agents" and (problem := agents_sdk_problem()) is not None:
        raise pytest.UsageError(f"RESPITE_TEST_TEAMS_SDK=agents: {problem}")
    os.environ["TEAMS_SDK"] = sdk


def pytest_report_header(config: pytest.Config) -> str:
    return f"Teams SDK: {chosen()}"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if chosen() == "agents" and skipped:
        if reporter is not None:
            reporter.write_line(
                f"teams_sdk: {len(skipped)} test(s) skipped on the Agents SDK; every Teams test "
                "must run there",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
