"""Release rules: what may be shown about a group without exposing a person.

Primary suppression is the minimum group size. The threshold can be raised per team but never
below the floor, because below three a respondent can often work out a colleague's answer from
their own.

A minimum group size alone is defeated by differencing: a department's sum minus the sums of all
but one of its teams is that one team's sum. `decide_release` therefore decides, for one period,
which groups of an organisation tree may release anything, so that no suppressed group and no
single person can be recovered from any linear combination of what is released.

Why the rules below are enough (the property tests check it with exact linear algebra). The groups
form a tree (a laminar family): teams hold people, departments hold teams, the organisation holds
departments. For a released group A, call its *region* the teams reachable from A through
suppressed groups only. Every released figure is the sum of its region plus the regions of the
released groups below it, so the released figures span exactly the sums of the regions, and the
regions of different released groups are disjoint. Hence:

- a person's answer is learnable only if they are alone in a region, and a group's figures are
  learnable only if it is a union of whole regions;
- so every non-empty region must hold at least `min_group_size` respondents (the remainder rule:
  the difference between a released group and the released groups inside it is never small),
- every suppressed group must own part of a region (some of its members outside the released
  groups below it), and that part must not be the whole region (complementary suppression: when
  exactly one child of a released parent is suppressed, the next smallest sibling is suppressed
  too, recursively up the tree);
- and for a group suppressed for having too few answers, even a reader who knows who answered
  must not find its answers alone in a region: the region's other part must hold answers too.

Counts are protected on membership (a reader does not know who answered); single answers and
small groups' answers are protected even against a reader who does.

Which guarantee holds against which reader (each with the tests that prove it):

- A count-blind lead (holds this period's digests): no withheld group's count or sums lie in the
  span of what is released (tests/domain/test_privacy_properties.py, exact rational algebra).
- A lead who knows who answered: no single answer and no group below its threshold lies in that
  span (the same tests, over respondents); a lead who answered is counted out of every group they
  read (`GroupNode.readers`; tests/domain/test_release_over_time.py and the end-to-end
  tests/scheduler/test_release_rules_e2e.py); no released mean or band narrows one respondent to
  a single value, the scale's ends included (bot.domain.bounds; tests/domain/
  test_release_bounds.py walks every possible sum).
- The same lead over many periods, in the worst case that everyone answers exactly as before: no
  person's answer lies in the span of the exact figures released in the trend window, whoever
  joined, left or moved (bot.domain.combine, bot.domain.rollup; tests/domain/
  test_release_over_time.py); a group whose people differ from an earlier exact release by a
  pure change of fewer than k people shows bands, never numbers, and no band it shows pins the
  few who changed (tests/domain/test_release_bounds.py). Beyond the window the guarantee rests
  on answers changing over weeks (bench/release_rate.py measures it).
- Thresholds count distinct people in a period, never answers or rounds (`TeamRound.people`).
- Groups nobody reads are left out of the tree, so no rule withholds a readable group to
  protect an unreadable one; a group nobody reads is the first complement chosen.

Decisions depend on respondent counts only, never on answers, so a changed answer can change
only released figures of groups that contain it. Figures of different periods are different
answers; a period's decisions and figures are frozen once, so a later change of membership or
structure cannot produce a second, subtractable version of an old figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.team import MIN_GROUP_SIZE_FLOOR


def effective_threshold(min_group_size: int) -> int:
    return max(min_group_size, MIN_GROUP_SIZE_FLOOR)


def releasable(respondents: int, min_group_size: int) -> bool:
    """Whether a group passes primary suppression on its own (figures and the count itself)."""
    return respondents >= effective_threshold(min_group_size)


@dataclass(frozen=True, slots=True)
class GroupNode:
    """One group of the tree for one period. Leaves (no children) hold people."""

    id: str
    parent: str | None
    respondents: int
    min_group_size: int
    # Members of a leaf (None: unknown, taken as some). A leaf with no members hides nothing.
    members: int | None = None
    # Whether anybody may read this group (a lead of it or of a group above it). A group nobody
    # reads is the cheapest complement: withholding it costs no reader anything.
    readable: bool = True
    # Keyed marks of a leaf's respondents, and of the people who read this group. A reader who
    # answered knows their own answer, so they are counted out of what protects the others.
    people: frozenset[str] = frozenset()
    readers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReleaseDecision:
    released: frozenset[str]
    # Why each suppressed group is suppressed, in plain words for an admin or a demo.
    reasons: Mapping[str, str] = field(default_factory=dict)

    def is_released(self, group_id: str) -> bool:
        return group_id in self.released


class _Tree:
    def __init__(self, nodes: Iterable[GroupNode]) -> None:
        self.nodes = {n.id: n for n in nodes}
        self.children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for n in self.nodes.values():
            if n.parent is not None:
                if n.parent not in self.nodes:
                    raise ValueError(f"group {n.id!r} names unknown parent {n.parent!r}")
                self.children[n.parent].append(n.id)
        for kids in self.children.values():
            kids.sort(key=lambda c: (self.nodes[c].respondents, c))
        self.depth: dict[str, int] = {}
        for gid in self.nodes:
            d, cur = 0, self.nodes[gid].parent
            while cur is not None:
                d += 1
                cur = self.nodes[cur].parent
                if d > len(self.nodes):
                    raise ValueError("the group tree has a cycle")
            self.depth[gid] = d
        self.subtree_k: dict[str, int] = {}
        for gid in sorted(self.nodes, key=lambda x: -self.depth[x]):
            k = effective_threshold(self.nodes[gid].min_group_size)
            for c in self.children[gid]:
                k = max(k, self.subtree_k[c])
            self.subtree_k[gid] = k
        # People below each group, gathered leaves first, to count its answering readers out.
        self._counted: dict[str, int] = {}
        below: dict[str, frozenset[str]] = {}
        for gid in sorted(self.nodes, key=lambda x: -self.depth[x]):
            node = self.nodes[gid]
            people = node.people.union(*(below[c] for c in self.children[gid]))
            below[gid] = people
            self._counted[gid] = node.respondents - len(node.readers & people)

    def resp(self, group_id: str) -> int:
        return self.nodes[group_id].respondents

    def leaves_under(self, group_id: str) -> list[str]:
        if self.is_leaf(group_id):
            return [group_id]
        return [g for g in self.descendants(group_id) if self.is_leaf(g)]

    def counted(self, group_id: str) -> int:
        """Respondents that protect each other from this group's readers: those who answered,
        less the readers among them (each knows their own answer)."""
        return self._counted[group_id]

    def region_counted(self, top: str, region: _Region) -> int:
        """A region's respondents less those of `top`'s readers who answered inside it."""
        readers = self.nodes[top].readers
        if not readers:
            return region.respondents
        inside = set().union(*(self.nodes[leaf].people for leaf in region.leaves))
        return region.respondents - len(readers & inside)

    def is_leaf(self, group_id: str) -> bool:
        return not self.children[group_id]

    def has_members(self, group_id: str) -> bool:
        members = self.nodes[group_id].members
        return members is None or members > 0 or self.resp(group_id) > 0

    def descendants(self, group_id: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.children[group_id])
        while stack:
            g = stack.pop()
            out.add(g)
            stack.extend(self.children[g])
        return out


@dataclass(slots=True)
class _Region:
    """Teams reachable from a group through suppressed groups, and what borders them."""

    leaves: set[str] = field(default_factory=set)
    respondents: int = 0
    suppressed: list[str] = field(default_factory=list)  # suppressed groups inside the region
    frontier: list[str] = field(default_factory=list)  # released groups just below the region


def _region(tree: _Tree, top: str, suppressed: set[str]) -> _Region:
    """The region below `top`, not counting `top` itself unless it is a suppressed leaf."""
    region = _Region()
    if tree.is_leaf(top):
        if top in suppressed and tree.has_members(top):
            region.leaves.add(top)
            region.respondents = tree.resp(top)
        return region
    stack = list(tree.children[top])
    while stack:
        g = stack.pop()
        if g not in suppressed:
            region.frontier.append(g)
            continue
        region.suppressed.append(g)
        if tree.is_leaf(g):
            if tree.has_members(g):
                region.leaves.add(g)
                region.respondents += tree.resp(g)
        else:
            stack.extend(tree.children[g])
    return region


def _own_region(tree: _Tree, g: str, suppressed: set[str]) -> _Region:
    """For a suppressed group: the part of it not covered by released groups below it."""
    if tree.is_leaf(g):
        if not tree.has_members(g):
            return _Region()
        return _Region(leaves={g}, respondents=tree.resp(g))
    return _region(tree, g, suppressed)


def _smallest(tree: _Tree, candidates: Iterable[str], need_respondents: bool) -> str | None:
    pool = [c for c in candidates if not need_respondents or tree.resp(c) > 0]
    if not pool:
        return None
    # A group nobody reads goes first: withholding it hides nothing from anyone.
    return min(pool, key=lambda c: (tree.nodes[c].readable, tree.resp(c), tree.depth[c], c))


def decide_release(
    nodes: Sequence[GroupNode], withheld: Mapping[str, str] | None = None
) -> ReleaseDecision:
    """Which groups may release figures this period; see the module docstring for why.

    `withheld` names groups whose exact figures must not be shown (or derived) for another
    reason, with that reason: they are suppressed from the start, and the rules below keep
    their sums out of reach exactly as they do for a group with too few responses.
    """
    tree = _Tree(nodes)
    suppressed: set[str] = set()
    reasons: dict[str, str] = {}

    def suppress(g: str, why: str) -> None:
        suppressed.add(g)
        reasons[g] = why

    for g, why in (withheld or {}).items():
        if g in tree.nodes:
            suppress(g, why)
    for g, node in tree.nodes.items():
        if not releasable(tree.counted(g), node.min_group_size):
            suppress(g, "too few responses")

    order = sorted(tree.nodes, key=lambda x: (-tree.depth[x], x))
    changed = True
    while changed:
        changed = False
        # A suppressed group must keep respondents of its own outside released groups below it,
        # or it is simply the sum of those groups.
        for g in order:
            if g not in suppressed or tree.is_leaf(g):
                continue
            own = _own_region(tree, g, suppressed)
            # A group too small to show must keep answers of its own outside the released
            # groups below it (they can have lower thresholds), or it is just their sum.
            small = tree.resp(g) > 0 and not releasable(
                tree.counted(g), tree.nodes[g].min_group_size
            )
            if own.leaves and not (small and own.respondents == 0):
                continue
            pick = _smallest(tree, own.frontier, need_respondents=small)
            if pick is not None:
                suppress(pick, f"protects {g}")
                changed = True
                break
        if changed:
            continue
        for a in order:
            if a in suppressed:
                continue
            region = _region(tree, a, suppressed)
            if not region.leaves:
                continue
            k = tree.subtree_k[a]
            exclude: set[str] = set()
            need_resp = False
            bad = tree.region_counted(a, region) < k
            if bad:
                need_resp = True
            else:
                for g in region.suppressed:
                    own = _own_region(tree, g, suppressed)
                    small = tree.resp(g) > 0 and not releasable(
                        tree.counted(g), tree.nodes[g].min_group_size
                    )
                    if own.leaves == region.leaves or (
                        small and own.respondents == region.respondents
                    ):
                        bad = True
                        need_resp = own.leaves != region.leaves
                        exclude = tree.descendants(g) | {g}
                        break
            if not bad:
                continue
            protected = sorted(
                g for g in region.suppressed if reasons.get(g) == "too few responses"
            ) or sorted(region.suppressed)
            candidates = [c for c in region.frontier if c not in exclude]
            pick = _smallest(tree, candidates, need_respondents=need_resp)
            if pick is not None:
                suppress(pick, "protects " + ", ".join(p for p in protected[:3]))
            else:
                suppress(a, "would reveal " + ", ".join(p for p in protected[:3]))
            changed = True
            break
    released = frozenset(g for g in tree.nodes if g not in suppressed)
    return ReleaseDecision(released=released, reasons=reasons)
