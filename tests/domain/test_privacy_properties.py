"""Property tests of the release rules over random organisation trees.

Each generated period has teams of people (some answered, some did not), departments of teams,
and the organisation. Every group's figures are a count and a sum over its members, so what a
lead can compute is the linear span of the released groups' membership vectors. The tests check,
with exact rational arithmetic, that nothing protected lies in that span: no suppressed group
over its members, and, even for a reader who knows who answered (vectors over respondents only),
no single answer and no group below its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.privacy import GroupNode, decide_release, effective_threshold
from tests.support.span import Span


@dataclass
class World:
    nodes: list[GroupNode]
    # team id -> (members, respondents); respondents are the first members of the team.
    teams: dict[str, tuple[int, int]]
    parent: dict[str, str | None]

    def people(self) -> list[tuple[str, int]]:
        return [(t, i) for t, (m, _r) in self.teams.items() for i in range(m)]

    def responded(self, person: tuple[str, int]) -> bool:
        return person[1] < self.teams[person[0]][1]

    def contains(self, group: str, team: str) -> bool:
        cur: str | None = team
        while cur is not None:
            if cur == group:
                return True
            cur = self.parent[cur]
        return False

    def vector(self, group: str, people: list[tuple[str, int]]) -> list[int]:
        return [1 if self.contains(group, p[0]) else 0 for p in people]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    k = st.integers(3, 6)
    parent: dict[str, str | None] = {"org": None}
    teams: dict[str, tuple[int, int]] = {}
    thresholds: dict[str, int] = {"org": draw(k)}
    n_depts = draw(st.integers(0, 4))
    team_parents = []
    for d in range(n_depts):
        parent[f"d{d}"] = "org"
        thresholds[f"d{d}"] = draw(k)
        team_parents += [f"d{d}"] * draw(st.integers(1, 4))
    team_parents += ["org"] * draw(st.integers(0 if n_depts else 1, 3))
    for i, p in enumerate(team_parents):
        tid = f"t{i}"
        parent[tid] = p
        members = draw(st.integers(0, 9))
        teams[tid] = (members, draw(st.integers(0, members)))
        thresholds[tid] = draw(k)

    def respondents(g: str) -> int:
        if g in teams:
            return teams[g][1]
        return sum(respondents(c) for c, p in parent.items() if p == g)

    nodes = [
        GroupNode(g, parent[g], respondents(g), thresholds[g], teams[g][0] if g in teams else None)
        for g in parent
    ]
    return World(nodes, teams, parent)


def _spans(world: World, released: frozenset[str]):  # type: ignore[no-untyped-def]
    people = world.people()
    answered = [p for p in people if world.responded(p)]
    members_span = Span(len(people))
    answers_span = Span(len(answered))
    for g in released:
        members_span.add(world.vector(g, people))
        answers_span.add(world.vector(g, answered))
    return people, answered, members_span, answers_span


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_nothing_protected_lies_in_the_span_of_released_figures(world: World) -> None:
    decision = decide_release(world.nodes)
    people, answered, members_span, answers_span = _spans(world, decision.released)
    by_id = {n.id: n for n in world.nodes}

    # Primary suppression.
    for node in world.nodes:
        if node.respondents < effective_threshold(node.min_group_size):
            assert node.id not in decision.released

    # No single person's answer.
    for i, _person in enumerate(answered):
        unit = [0] * len(answered)
        unit[i] = 1
        assert not answers_span.contains(unit), f"a person's answer is exposed: {decision}"

    for node in world.nodes:
        if node.id in decision.released:
            continue
        vec = world.vector(node.id, people)
        # Its respondent count and answer sums, over its members (whether each answered is
        # unknown to the reader: non-respondents count 0).
        if any(vec):
            assert not members_span.contains(vec), f"{node.id} exposed: {decision}"
        # A group with too few answers: even a reader who knows who answered cannot isolate them.
        if node.respondents and node.respondents < effective_threshold(node.min_group_size):
            assert not answers_span.contains(world.vector(node.id, answered)), (
                f"answers of small group {node.id} exposed: {decision}"
            )

    # Remainder rule: released A containing released B differ by 0 or at least k respondents.
    for a in decision.released:
        for b in decision.released:
            if a == b:
                continue
            va, vb = world.vector(a, answered), world.vector(b, answered)
            if all(x >= y for x, y in zip(va, vb, strict=True)):
                diff = sum(va) - sum(vb)
                # Teams with nobody in them add nothing to either group.
                staffed = [t for t, (m, _r) in world.teams.items() if m]
                teams_a = {t for t in staffed if world.contains(a, t)}
                teams_b = {t for t in staffed if world.contains(b, t)}
                if teams_a != teams_b:
                    # The people in the difference are covered by their own teams' thresholds.
                    k = min(effective_threshold(by_id[t].min_group_size) for t in teams_a - teams_b)
                    assert diff >= k, f"{a} minus {b} leaves {diff}: {decision}"


@settings(max_examples=200, deadline=None)
@given(worlds(), st.data())
def test_changing_one_answer_changes_only_released_groups_that_hold_it(
    world: World, data: st.DataObject
) -> None:
    answered = [p for p in world.people() if world.responded(p)]
    if not answered:
        return
    before = {p: data.draw(st.integers(1, 5)) for p in answered}
    changed = data.draw(st.sampled_from(answered))
    after = dict(before)
    after[changed] = before[changed] % 5 + 1

    def released_sums(answers: dict[tuple[str, int], int]) -> dict[str, tuple[int, int]]:
        # Decisions see counts only; the figures are sums over each released group.
        decision = decide_release(world.nodes)
        return {
            g: (
                sum(1 for p in answers if world.contains(g, p[0])),
                sum(v for p, v in answers.items() if world.contains(g, p[0])),
            )
            for g in decision.released
        }

    one, two = released_sums(before), released_sums(after)
    assert one.keys() == two.keys()
    for g in one:
        if one[g] != two[g]:
            assert world.contains(g, changed[0])
            assert g in decide_release(world.nodes).released
