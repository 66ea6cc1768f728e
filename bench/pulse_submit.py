"""Cost of re-writing a round's answers on every submission, against inserting one answer.

Every pulse answer re-writes all of the open round's answers under new ids in random order, so
no answer shares its transaction (PostgreSQL's `xmin`) or its place in storage with its author's
participation row. That makes a submission O(answers so far). This script measures, in one run,
on this machine:

- baseline: the plain transaction (lock the round, insert participation, insert the answer);
- seal-once: the same re-write, but only the new answer is sealed (the others keep their
  ciphertexts), to show what re-sealing every answer under fresh nonces costs;
- target: `SqlRoundStore.record_response`, which re-writes and re-seals the round's answers.

Each fills a round of `--answers` people, alternately (baseline round, target round, repeated
`--rounds` times) so drift on a shared machine hits both alike. It prints the mean time per
submission over the whole round and over its last tenth (the largest round), and the ratios.

    python bench/pulse_submit.py [--answers 300] [--rounds 2] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bot.config import load_instrument  # noqa: E402
from bot.domain.messages import Platform  # noqa: E402
from bot.domain.ports import Period  # noqa: E402
from bot.storage.db import create_engine_async, session_factory  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.pulse import _REWRITE_ANSWERS, _SEALED_OF_ROUND, SqlRoundStore  # noqa: E402
from bot.storage.sealed import Answer, AnswerSeal  # noqa: E402
from bot.storage.tables import pulse_participation, pulse_responses, pulse_rounds  # noqa: E402

ANSWERS = {
    "drained": 4,
    "recharged": 2,
    "going_through_motions": 3,
    "made_a_difference": 4,
    "caseload": 5,
    "supported": 2,
}


async def insert_only(
    sessions: async_sessionmaker[AsyncSession], seal: AnswerSeal, round_id: str, user_id: str
) -> None:
    async with sessions.begin() as s:
        await s.execute(
            select(pulse_rounds.c.closed_at).where(pulse_rounds.c.id == round_id).with_for_update()
        )
        await s.execute(
            insert(pulse_participation).values(
                round_id=round_id, platform=Platform.SLACK.value, user_id=user_id
            )
        )
        await s.execute(
            insert(pulse_responses).values(
                id=secrets.token_hex(16),
                round_id=round_id,
                sealed=seal.seal_all(round_id, [Answer("t", ANSWERS)])[0],
            )
        )


class SealOnce(SqlRoundStore):
    """Re-writes the round's rows under new ids but seals only the new answer."""

    async def _add_answer(self, tx: Any, dialect: str, round_id: str, answer: Answer) -> None:
        stored = await tx.run(_SEALED_OF_ROUND[dialect], {"round": round_id})
        sealed: list[str] = json.loads(stored[0]) if stored else []
        tokens = [*sealed, *self._seal.seal_all(round_id, [answer], self._size)]
        rows = sorted((secrets.token_hex(16), token) for token in tokens)
        for statement in _REWRITE_ANSWERS[dialect]:
            await tx.run(statement, {"round": round_id, "rows": json.dumps(rows)})


async def run(url: str, answers: int, rounds: int) -> None:
    upgrade(url)
    engine = create_engine_async(url)
    sessions = session_factory(engine)
    secret = secrets.token_bytes(32)
    stores = {
        "target": SqlRoundStore(sessions, load_instrument(), secret),
        "seal-once": SealOnce(sessions, load_instrument(), secret),
    }
    start = datetime(2030, 1, 7, 10, tzinfo=UTC) + timedelta(weeks=secrets.randbelow(10_000))
    times: dict[str, list[list[float]]] = {"baseline": [], "seal-once": [], "target": []}
    try:
        for r in range(rounds):
            for n, kind in enumerate(times):
                opens = start + timedelta(weeks=3 * r + n)
                period = Period(
                    opens.isoformat(),
                    opens,
                    opens + timedelta(hours=48),
                    opens + timedelta(hours=72),
                )
                rnd = await stores["target"].ensure(f"bench-{kind}", period)
                each: list[float] = []
                for i in range(answers):
                    t0 = time.perf_counter()
                    if kind == "baseline":
                        await insert_only(sessions, AnswerSeal(secret), rnd.id, f"U{i}")
                    else:
                        assert await stores[kind].record_response(
                            rnd.id, "t", Platform.SLACK, f"U{i}", ANSWERS
                        )
                    each.append(time.perf_counter() - t0)
                times[kind].append(each)
    finally:
        await engine.dispose()
    tail = max(1, answers // 10)
    stats = {}
    for kind, runs in times.items():
        whole = statistics.mean(t for run_ in runs for t in run_)
        last = statistics.mean(t for run_ in runs for t in run_[-tail:])
        stats[kind] = (whole, last)
        print(
            f"{kind:8s}: mean {whole * 1000:.2f} ms/submission, last {tail}: {last * 1000:.2f} ms"
        )
    print(
        f"ratio target/seal-once: whole round {stats['target'][0] / stats['seal-once'][0]:.2f}, "
        f"last {tail} {stats['target'][1] / stats['seal-once'][1]:.2f}"
    )
    print(
        f"ratio target/baseline: whole round {stats['target'][0] / stats['baseline'][0]:.2f}, "
        f"last {tail} {stats['target'][1] / stats['baseline'][1]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        print(f"{url.split(':')[0]}, {args.answers} answers per round, {args.rounds} round(s)")
        asyncio.run(run(url, args.answers, args.rounds))


if __name__ == "__main__":
    main()
