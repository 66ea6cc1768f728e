"""Deps refuses a real kudos store with the key it makes up when none is given.

That key is random and lives only as long as the process: quotas would count apart on each
replica and restart, and `forget`, which derives the key from RESPITE_SECRET, would not find the
person's anonymous kudos. Only the composition root's key, made from the secret, will do.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.kudos import GiverKey
from bot.domain.ports.kudos import NullKudos
from tests.support.fake_ports import FakeKudos, fake_deps

KEY = GiverKey(b"deps-tests-server-secret-0123456789abcdef")


def test_a_kudos_store_without_the_server_key_is_refused() -> None:
    with pytest.raises(ValueError, match="a kudos store needs giver_key=GiverKey"):
        fake_deps(kudos=FakeKudos())


def test_switching_kudos_on_later_keeps_the_rule() -> None:
    with pytest.raises(ValueError, match="RESPITE_SECRET"):
        replace(fake_deps(), kudos=FakeKudos())


def test_a_kudos_store_with_the_server_key_is_accepted() -> None:
    deps = fake_deps(kudos=FakeKudos(), giver_key=KEY)
    assert deps.giver_key is KEY and deps.kudos.enabled


def test_recognition_off_needs_no_key() -> None:
    assert isinstance(fake_deps().kudos, NullKudos)
    assert not fake_deps(kudos=NullKudos()).kudos.enabled
