"""A deterministic, lazily generated Jira organisation for the demo tracker.

Issue `i` comes from its own random stream seeded from `(seed, i)`, so any issue can be produced in O(1) and a
million-issue organisation costs no memory until an issue is asked for. Cheap facts (creation time, project,
key, type, parent, whether the daily change touched it) come from a hash, not from the full history, so the
server can skip issues its JQL filters out without building them.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, NamedTuple

from .catalog import (
    DONE,
    FLAGGED_FIELD_ID,
    FLAGGED_OPTION,
    ISSUE_TYPES,
    ISSUE_TYPES_BY_NAME,
    PEOPLE,
    PROJECT_CYCLE,
    PROJECTS,
    RESOLUTION_DONE,
    RESOLUTION_WONT_DO,
    STATUSES,
    VERBS,
    IssueType,
    Person,
    Project,
    Resolution,
    Workflow,
    fields_json,
    issue_type_json,
    person_json,
    project_json,
    resolution_json,
    status_json,
)

DEFAULT_BASE_URL: Final = "http://127.0.0.1"
HISTORY_SPAN_DAYS: Final = 730
# An item's whole life (created to its last change) lasts at most this long. The bound lets an `updated >=`
# search start its scan at the first issue that could still match.
MAX_ACTIVITY_DAYS: Final = 180
# Lead times are lognormal around the sum of the workflow's median stays, times this, with this sigma.
_LEAD_TIME_STRETCH: Final = 1.3
_LEAD_TIME_SIGMA: Final = 0.7
_UNSTARTED_MEDIAN_HOURS: Final = 120.0
FIRST_ISSUE_ID: Final = 10000
# History ids are `FIRST_ISSUE_ID + index * stride + position`: globally unique, increasing within an issue.
HISTORY_ID_STRIDE: Final = 1000
# Issues per block in the memo of each block's latest `updated`.
UPDATED_BLOCK: Final = 1024

_MINUTE_MS: Final = 60_000
_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 86_400_000
_MASK64: Final = (1 << 64) - 1
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NORMAL: Final = statistics.NormalDist()

# Independent hash streams, so that one fact never shifts another when the generator changes.
# One hash gives the facts every filter needs (bit fields: creation jitter, type, never-starts), so
# skipping an issue costs two hashes, not a history.
_STREAM_FACTS: Final = 1
_FIELD_BITS: Final = 26
_FIELD_MASK: Final = (1 << _FIELD_BITS) - 1
_TYPE_THRESHOLDS: Final = tuple(
    int(sum(t.weight for t in ISSUE_TYPES[: k + 1]) / sum(t.weight for t in ISSUE_TYPES) * (1 << _FIELD_BITS))
    for k in range(len(ISSUE_TYPES))
)
_STREAM_HISTORY: Final = 3
_STREAM_CHATTY: Final = 4
_STREAM_CHANGED: Final = 5
_STREAM_CHANGE_TIME: Final = 6
_CHANGE_PERIOD: Final = 10_000
_CHANGE_PRIME: Final = 7919
_STREAM_CYCLE: Final = 7
_STREAM_PARENT: Final = 8
_STREAM_EPIC_LINK: Final = 9
_STREAM_LEAD_TIME: Final = 10

_NEVER_STARTS: Final = 0.03
_CANCELED: Final = 0.06
_BUG_REOPENS: Final = 0.18
_OTHER_REOPENS: Final = 0.03
_FLAGGED: Final = 0.13
_FLAGGED_NOW: Final = 0.4
_CHATTY: Final = 0.03
_STORY_IN_EPIC: Final = 0.45
_MAX_STEPS: Final = 60
_TYPE_PACE: Final = {"Epic": 4.0, "Sub-task": 0.4, "Bug": 0.7, "Vulnerability": 0.8}

_KEY_PATTERN: Final = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
# Zone names for offsets that are not whole hours (Etc/GMT covers the rest); all without daylight saving.
_ODD_OFFSET_ZONES: Final = {
    330: "Asia/Kolkata",
    345: "Asia/Kathmandu",
    570: "Australia/Darwin",
    390: "Asia/Yangon",
}


class Item(NamedTuple):
    """One changelog item, in Jira's field order."""

    field: str
    fieldtype: str
    field_id: str
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None


class History(NamedTuple):
    id: int
    at_ms: int
    author: Person
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class IssuePlan:
    """Everything about one issue except rendering: the cached unit the server builds pages from."""

    index: int
    created_ms: int
    updated_ms: int
    project: Project
    issue_type: IssueType
    parent: int | None
    status: str
    resolution: Resolution | None
    resolved_ms: int | None
    assignee: Person | None
    labels: tuple[str, ...]
    flagged: bool
    summary: str
    component: str
    histories: tuple[History, ...]


def _mix64(value: int) -> int:
    """splitmix64's finaliser: a fast, well-spread hash for per-issue facts that need no full RNG."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _type_from(facts: int) -> IssueType:
    return ISSUE_TYPES[bisect.bisect_right(_TYPE_THRESHOLDS, (facts >> _FIELD_BITS) & _FIELD_MASK)]


def _starts_from(facts: int) -> bool:
    return (facts >> (2 * _FIELD_BITS)) & 0xFFF >= _NEVER_STARTS * 0x1000


def _hours_ms(hours: float) -> int:
    return max(5 * _MINUTE_MS, int(hours * _HOUR_MS))


def _status_item(source: str, target: str) -> Item:
    return Item("status", "jira", "status", STATUSES[source].id, source, STATUSES[target].id, target)


def _resolution_item(before: Resolution | None, after: Resolution | None) -> Item:
    return Item(
        "resolution",
        "jira",
        "resolution",
        before.id if before else None,
        before.name if before else None,
        after.id if after else None,
        after.name if after else None,
    )


def _flag_item(*, raised: bool) -> Item:
    option = f"[{FLAGGED_OPTION['id']}]"
    if raised:
        return Item("Flagged", "custom", FLAGGED_FIELD_ID, None, None, option, FLAGGED_OPTION["value"])
    return Item("Flagged", "custom", FLAGGED_FIELD_ID, option, FLAGGED_OPTION["value"], None, "")


def _is_done(status: str) -> bool:
    return STATUSES[status].category == DONE


def _transition(source: str, target: str, resolution: Resolution | None, *, cancel: bool) -> tuple[Item, ...]:
    """A status change plus the resolution Jira sets on entering done and clears on leaving it."""
    items = [_status_item(source, target)]
    if _is_done(target) and not _is_done(source):
        items.append(_resolution_item(None, RESOLUTION_WONT_DO if cancel else RESOLUTION_DONE))
    elif _is_done(source) and not _is_done(target):
        items.append(_resolution_item(resolution, None))
    return tuple(items)


def _resolution_after(items: tuple[Item, ...], current: Resolution | None) -> Resolution | None:
    for item in items:
        if item.field == "resolution":
            return {RESOLUTION_DONE.id: RESOLUTION_DONE, RESOLUTION_WONT_DO.id: RESOLUTION_WONT_DO}.get(
                item.to_value or ""
            )
    return current


class _Walk:
    """One item's trip through its project's workflow, step by step, until it rests or time runs out."""

    def __init__(
        self, workflow: Workflow, rng: random.Random, issue_type: IssueType, rework: float = 0.0
    ) -> None:
        self.workflow = workflow
        self.rng = rng
        self.rework = rework
        reopen_share = _BUG_REOPENS if issue_type.name == "Bug" else _OTHER_REOPENS
        self.reopens = 1 if rng.random() < reopen_share else 0
        self.cancel_from = rng.randrange(len(workflow.path) - 1) if rng.random() < _CANCELED else None
        self.back_moves_left = 3
        self.detoured = False
        self.canceled = False
        self.after_done_decided = False

    def next_status(self, status: str) -> tuple[str, bool] | None:
        """The status the item moves to from `status` (and whether that move cancels it), or None to rest."""
        workflow, rng = self.workflow, self.rng
        if self.canceled:
            return None
        if _is_done(status):
            if workflow.after_done and status == workflow.done and not self.after_done_decided:
                self.after_done_decided = True
                if rng.random() < workflow.after_done[0]:
                    return workflow.after_done[1], False
            if self.reopens:
                self.reopens -= 1
                self.after_done_decided = False
                return workflow.reopen_to, False
            return None
        if self.cancel_from is not None and status == workflow.path[self.cancel_from]:
            self.canceled = True
            return workflow.cancel_to, True
        back = workflow.back_moves.get(status)
        if back and self.back_moves_left and rng.random() < back[0]:
            self.back_moves_left -= 1
            return back[1], False
        detour = workflow.detour
        if detour and status == detour[2]:
            return detour[0], False
        if detour and status == detour[0] and not self.detoured and rng.random() < detour[1]:
            self.detoured = True
            return detour[2], False
        position = workflow.path.index(status)
        if self.rework and position > 0 and rng.random() < self.rework:
            return workflow.path[position - 1], False
        return workflow.path[position + 1], False

    def stay_weight(self, status: str) -> float:
        """A stay's relative length; the walk is scaled afterwards to end exactly at the item's lead time."""
        median, sigma = self.workflow.stay_hours[status]
        return self.rng.lognormvariate(math.log(median), sigma)


class _Stay(NamedTuple):
    status: str
    entered_ms: int
    exited_ms: int | None


class _Event(NamedTuple):
    at_ms: int
    order: int
    author: Person
    items: tuple[Item, ...]


class DemoOrganisation:
    """A deterministic Jira organisation of `issues` items created over the two years before `anchor`.

    Deterministic for `(seed, issues, anchor, utc_offset_minutes, changed_fraction, change_day, rework)`.
    With a `changed_fraction`, that share of issues gains one more status change at `change_day` (after the
    anchor), which is what an incremental load should pick up. `rework` is the chance that a move along the
    workflow's path goes one status back instead (work bounced back for rework): 0 (the default) gives ~5.4
    status changes per issue, 0.315 gives ~12, for measurements at a heavier history.
    """

    def __init__(
        self,
        seed: int = 7,
        issues: int = 5000,
        anchor: datetime | None = None,
        *,
        utc_offset_minutes: int = 0,
        changed_fraction: float = 0.0,
        change_day: datetime | None = None,
        rework: float = 0.0,
        cache_size: int = 4096,
    ) -> None:
        if issues < 0:
            raise ValueError("issues must be zero or more")
        if not 0.0 <= changed_fraction <= 1.0:
            raise ValueError("changed_fraction must be between 0 and 1")
        if not 0.0 <= rework < 0.5:
            raise ValueError("rework must be at least 0 and below 0.5 (at 0.5 an item never reaches done)")
        self.seed = seed
        self.rework = rework
        self.issues = issues
        self.anchor = _midnight_today() if anchor is None else _aware_utc(anchor, "anchor")
        self.utc_offset_minutes = utc_offset_minutes
        self.time_zone = _zone_name(utc_offset_minutes)
        self.changed_fraction = changed_fraction
        default_change = self.anchor + timedelta(hours=12)
        self.change_day = default_change if change_day is None else _aware_utc(change_day, "change_day")
        if self.change_day <= self.anchor:
            raise ValueError("change_day must be after the anchor")
        self._seed_key = _mix64(seed & _MASK64)
        self._anchor_ms = _to_ms(self.anchor)
        self._span_ms = HISTORY_SPAN_DAYS * _DAY_MS
        self._start_ms = self._anchor_ms - self._span_ms
        self._change_ms = _to_ms(self.change_day)
        self._cycle, self._cycle_offsets = self._project_cycle()
        # At least one issue in every thousand (or in a smaller organisation) has over 100 histories.
        self._very_chatty_slot = self._hash(0, _STREAM_CHATTY) % min(1000, max(issues, 1))
        self._lead_medians = {
            (project.key, issue_type.name): project.workflow.lead_time_median_hours
            * _LEAD_TIME_STRETCH
            * _TYPE_PACE.get(issue_type.name, 1.0)
            for project in PROJECTS
            for issue_type in ISSUE_TYPES
        }
        self.plan = lru_cache(maxsize=cache_size)(self._build_plan)
        # Small memos (a few percent of issues, one int each) so repeated incremental searches stay fast.
        self._in_flight_updated: dict[int, int] = {}
        self._block_max = lru_cache(maxsize=None)(self._compute_block_max)
        self._change_share, self._change_offset, self._change_residues = self._changed_pattern()

    @property
    def anchor_ms(self) -> int:
        return self._anchor_ms

    def __len__(self) -> int:
        return self.issues

    def __repr__(self) -> str:
        return f"DemoOrganisation(seed={self.seed}, issues={self.issues}, anchor={self.anchor.isoformat()})"

    # ---- cheap per-issue facts ---------------------------------------------------------------------------

    def _hash(self, index: int, stream: int) -> int:
        return _mix64(_mix64(self._seed_key ^ index) ^ stream)

    def _unit(self, index: int, stream: int) -> float:
        return (self._hash(index, stream) >> 11) / float(1 << 53)

    def _project_cycle(self) -> tuple[tuple[Project, ...], dict[str, tuple[int, ...]]]:
        """A seeded shuffle of project slots; repeating it gives exact, O(1) per-project key numbers."""
        slots = [project for project in PROJECTS for _ in range(project.share)]
        random.Random(self._hash(0, _STREAM_CYCLE)).shuffle(slots)
        offsets = {p.key: tuple(k for k, slot in enumerate(slots) if slot is p) for p in PROJECTS}
        return tuple(slots), offsets

    def created_ms(self, index: int) -> int:
        """Creation time: evenly spread, jitter below the spacing, so index order is creation order."""
        return self._created_from(index, self._hash(index, _STREAM_FACTS))

    def _created_from(self, index: int, facts: int) -> int:
        jitter = 0.9 * (facts & _FIELD_MASK) / (1 << _FIELD_BITS)
        return self._start_ms + int((index + jitter) * self._span_ms / max(self.issues, 1))

    def project_of(self, index: int) -> Project:
        return self._cycle[index % PROJECT_CYCLE]

    def number_of(self, index: int) -> int:
        """The number in the issue key (`PAY-17` -> 17), counted per project."""
        project = self.project_of(index)
        offsets = self._cycle_offsets[project.key]
        return (index // PROJECT_CYCLE) * len(offsets) + offsets.index(index % PROJECT_CYCLE) + 1

    def index_of_key_number(self, project_key: str, number: int) -> int | None:
        offsets = self._cycle_offsets.get(project_key.upper())
        if not offsets or number < 1:
            return None
        cycle, position = divmod(number - 1, len(offsets))
        index = cycle * PROJECT_CYCLE + offsets[position]
        return index if index < self.issues else None

    def key(self, index: int) -> str:
        return f"{self.project_of(index).key}-{self.number_of(index)}"

    def issue_id(self, index: int) -> str:
        return str(FIRST_ISSUE_ID + index)

    def index_of(self, id_or_key: str) -> int | None:
        """The index of an issue given its id (`10017`) or key (`PAY-17`), or None when there is none."""
        text = str(id_or_key).strip()
        if text.isdigit():
            index = int(text) - FIRST_ISSUE_ID
            return index if 0 <= index < self.issues else None
        match = _KEY_PATTERN.match(text)
        return self.index_of_key_number(match.group(1), int(match.group(2))) if match else None

    def _raw_type(self, index: int) -> IssueType:
        return _type_from(self._hash(index, _STREAM_FACTS))

    def _earlier_same_project(
        self, index: int, stream: int, wanted: tuple[str, ...], reach: int
    ) -> int | None:
        """A nearby earlier issue of the same project whose type is one of `wanted`, if one is in reach."""
        project = self.project_of(index)
        number = self.number_of(index)
        start = number - 1 - self._hash(index, stream) % 12
        for candidate in range(start, max(0, start - reach), -1):
            other = self.index_of_key_number(project.key, candidate)
            if other is not None and self._raw_type(other).name in wanted:
                return other
        return None

    def parent_of(self, index: int) -> int | None:
        """Sub-tasks hang under an earlier story, bug or task; some stories belong to an earlier epic."""
        raw = self._raw_type(index)
        if raw.subtask:
            return self._earlier_same_project(
                index, _STREAM_PARENT, ("Story", "Bug", "Task", "Tech Debt"), 40
            )
        if raw.name == "Story" and self._unit(index, _STREAM_EPIC_LINK) < _STORY_IN_EPIC:
            return self._earlier_same_project(index, _STREAM_EPIC_LINK, ("Epic",), 120)
        return None

    def issue_type_of(self, index: int) -> IssueType:
        raw = self._raw_type(index)
        if raw.subtask and self.parent_of(index) is None:
            return ISSUE_TYPES_BY_NAME["Task"]
        return raw

    def _changed_pattern(self) -> tuple[int, int, tuple[int, ...]]:
        """Changed issues are `(index * prime + offset) % period < share`: spread out, and enumerable."""
        share = round(self.changed_fraction * _CHANGE_PERIOD)
        offset = self._hash(0, _STREAM_CHANGED) % _CHANGE_PERIOD
        inverse = pow(_CHANGE_PRIME, -1, _CHANGE_PERIOD)
        residues = sorted(((r - offset) * inverse) % _CHANGE_PERIOD for r in range(share))
        return share, offset, tuple(residues)

    def is_changed(self, index: int) -> bool:
        """Whether the daily change touches this issue (arithmetic, so the choice is stable and O(1))."""
        return (index * _CHANGE_PRIME + self._change_offset) % _CHANGE_PERIOD < self._change_share

    def changed_indices(self, start: int, stop: int) -> Iterator[int]:
        """The changed issues in [start, stop), in order, without looking at the others."""
        if not self._change_residues:
            return
        base = (start // _CHANGE_PERIOD) * _CHANGE_PERIOD
        position = bisect.bisect_left(self._change_residues, start - base)
        while True:
            if position == len(self._change_residues):
                base, position = base + _CHANGE_PERIOD, 0
            index = base + self._change_residues[position]
            if index >= min(stop, self.issues):
                return
            yield index
            position += 1

    def change_ms(self, index: int) -> int:
        return self._change_ms + self._hash(index, _STREAM_CHANGE_TIME) % _HOUR_MS

    def starts(self, index: int) -> bool:
        """Whether the item ever leaves its initial state (a few stay in the backlog for good)."""
        return _starts_from(self._hash(index, _STREAM_FACTS))

    def lifecycle_end_ms(self, index: int) -> int:
        """When the item's last change happens, from a hash: its history is scaled to end exactly here.

        Deciding this before the history lets `updated` be known in O(1) for every item whose life ended
        before the anchor, so a search skips issues without building them.
        """
        facts = self._hash(index, _STREAM_FACTS)
        if _starts_from(facts):
            median = self._lead_medians[(self.project_of(index).key, _type_from(facts).name)]
        else:
            median = _UNSTARTED_MEDIAN_HOURS
        unit = min(max(self._unit(index, _STREAM_LEAD_TIME), 1e-12), 1 - 1e-12)
        hours = median * math.exp(_LEAD_TIME_SIGMA * _NORMAL.inv_cdf(unit))
        span = min(max(int(hours * _HOUR_MS), _HOUR_MS), MAX_ACTIVITY_DAYS * _DAY_MS)
        return self._created_from(index, facts) + span

    def coarse_updated_bounds(self, index: int) -> tuple[int, int]:
        """The cheapest bounds of `updated` (two hashes): enough to reject most issues of a late cursor."""
        if self.is_changed(index):
            moment = self.change_ms(index)
            return moment, moment
        return self.created_ms(index), self._anchor_ms

    def updated_bounds(self, index: int) -> tuple[int, int]:
        """Cheap bounds of `updated`: equal (so exact) unless the item is still in flight at the anchor."""
        if self.is_changed(index):
            moment = self.change_ms(index)
            return moment, moment
        end = self.lifecycle_end_ms(index)
        if end <= self._anchor_ms:
            return end, end
        return self.created_ms(index), self._anchor_ms

    def updated_ms(self, index: int) -> int:
        """The issue's `updated`; only items in flight at the anchor need their history built (once)."""
        low, high = self.updated_bounds(index)
        if low == high:
            return low
        known = self._in_flight_updated.get(index)
        if known is None:
            known = self._in_flight_updated[index] = self.plan(index).updated_ms
        return known

    def block_max_updated_ms(self, block: int) -> int:
        """The latest `updated` among the unchanged issues of block `block` (of UPDATED_BLOCK issues).

        A search skips a whole block whose maximum is below its cursor, and visits only its changed issues.
        """
        return self._block_max(block)

    def _compute_block_max(self, block: int) -> int:
        start = block * UPDATED_BLOCK
        indices = range(start, min(start + UPDATED_BLOCK, self.issues))
        return max((self.updated_ms(i) for i in indices if not self.is_changed(i)), default=0)

    def first_index_created_at_or_after(self, moment_ms: int) -> int:
        """The first index created at or after `moment_ms` (creation is monotone in the index)."""
        if self.issues == 0:
            return 0
        guess = (moment_ms - self._start_ms) * self.issues // self._span_ms - 2
        index = min(max(guess, 0), self.issues)
        while index > 0 and self.created_ms(index - 1) >= moment_ms:
            index -= 1
        while index < self.issues and self.created_ms(index) < moment_ms:
            index += 1
        return index

    def first_index_updated_at_or_after(self, moment_ms: int) -> int:
        """No issue before this index can have been updated at or after `moment_ms`."""
        if self.changed_fraction > 0 and self._change_ms + _HOUR_MS > moment_ms:
            return 0
        return self.first_index_created_at_or_after(moment_ms - MAX_ACTIVITY_DAYS * _DAY_MS)

    # ---- building one issue ------------------------------------------------------------------------------

    def _build_plan(self, index: int) -> IssuePlan:
        if not 0 <= index < self.issues:
            raise IndexError(f"issue index {index} outside 0..{self.issues - 1}")
        rng = random.Random(self._hash(index, _STREAM_HISTORY))
        project = self.project_of(index)
        issue_type = self.issue_type_of(index)
        created = self.created_ms(index)
        end = self.lifecycle_end_ms(index)
        horizon = min(self._anchor_ms, end)
        team = PEOPLE[4 * PROJECTS.index(project) : 4 * PROJECTS.index(project) + 4]
        summary = f"{rng.choice(VERBS) if issue_type.name != 'Bug' else 'Fix'} {rng.choice(project.nouns)}"
        component = rng.choice(project.components)
        labels = tuple(sorted(rng.sample(project.labels, rng.choice((0, 0, 0, 1, 1, 2)))))

        starts = self.starts(index)
        walk_events, stays = self._walk(
            project.workflow,
            rng,
            issue_type,
            created,
            end,
            team,
            starts=starts,
            anchor_ms=self._anchor_ms,
            rework=self.rework,
        )
        flag_events, flagged = self._flags(project.workflow, rng, stays, horizon, team)
        # An item that never starts is at least triaged: an assignee set when its (short) life ends.
        final = end if not starts and end <= self._anchor_ms else None
        noise, assignee, labels = self._noise(index, rng, created, horizon, walk_events, team, labels, final)
        events = sorted([*walk_events, *flag_events, *noise], key=lambda event: (event.at_ms, event.order))

        status = stays[-1].status
        resolution: Resolution | None = None
        resolved_ms: int | None = None
        for event in events:
            after = _resolution_after(event.items, resolution)
            if after is not resolution:
                resolution, resolved_ms = after, (event.at_ms if after else None)
        if self.is_changed(index):
            change = self._daily_change(index, project.workflow, status, resolution)
            events.append(change)
            status = change.items[0].to_string or status
            after = _resolution_after(change.items, resolution)
            if after is not resolution:
                resolution, resolved_ms = after, (change.at_ms if after else None)

        histories = tuple(
            History(
                FIRST_ISSUE_ID + index * HISTORY_ID_STRIDE + position, event.at_ms, event.author, event.items
            )
            for position, event in enumerate(events)
        )
        return IssuePlan(
            index=index,
            created_ms=created,
            updated_ms=histories[-1].at_ms if histories else created,
            project=project,
            issue_type=issue_type,
            parent=self.parent_of(index),
            status=status,
            resolution=resolution,
            resolved_ms=resolved_ms,
            assignee=assignee,
            labels=labels,
            flagged=flagged,
            summary=summary,
            component=component,
            histories=histories,
        )

    @staticmethod
    def _walk(
        workflow: Workflow,
        rng: random.Random,
        issue_type: IssueType,
        created: int,
        end: int,
        team: tuple[Person, ...],
        *,
        starts: bool,
        anchor_ms: int,
        rework: float = 0.0,
    ) -> tuple[list[_Event], list[_Stay]]:
        """The status changes of one item, oldest first, and its stays (the last one still open).

        The route and the relative stays come from the RNG; the times are scaled so the last change lands
        exactly at `end`. Changes after the anchor have not happened yet and are cut off.
        """
        walk = _Walk(workflow, rng, issue_type, rework)
        steps: list[tuple[float, str, str, bool]] = []
        status = workflow.initial
        while starts and len(steps) < _MAX_STEPS:
            step = walk.next_status(status)
            if step is None:
                break
            steps.append((walk.stay_weight(status), status, step[0], step[1]))
            status = step[0]
        total = sum(weight for weight, *_ in steps) or 1.0
        events: list[_Event] = []
        stays: list[_Stay] = []
        status, entered, resolution, elapsed = workflow.initial, created, None, 0.0
        for position, (weight, source, target, cancel) in enumerate(steps):
            elapsed += weight
            last = position == len(steps) - 1
            moment = end if last else created + max(1, int((end - created) * elapsed / total))
            author = rng.choice(team)
            if moment > anchor_ms:
                break
            items = _transition(source, target, resolution, cancel=cancel)
            resolution = _resolution_after(items, resolution)
            events.append(_Event(moment, 0, author, items))
            stays.append(_Stay(status, entered, moment))
            status, entered = target, moment
        stays.append(_Stay(status, entered, None))
        return events, stays

    @staticmethod
    def _flags(
        workflow: Workflow, rng: random.Random, stays: list[_Stay], horizon: int, team: tuple[Person, ...]
    ) -> tuple[list[_Event], bool]:
        """One flagged period inside a working stay for some items; still raised if it outlasts the anchor."""
        current = stays[-1]
        working_now = current.status in workflow.flag_states
        # Impediments on work in progress today are common; weighting them keeps some items flagged now.
        if not workflow.flag_states or rng.random() >= (_FLAGGED_NOW if working_now else _FLAGGED):
            return [], False
        candidates = [stay for stay in stays if stay.status in workflow.flag_states]
        if not candidates:
            return [], False
        stay = current if working_now else rng.choice(candidates)
        end = stay.exited_ms if stay.exited_ms is not None else horizon
        if end - stay.entered_ms < 10 * _MINUTE_MS:
            return [], False
        raised = stay.entered_ms + int((end - stay.entered_ms) * rng.uniform(0.05, 0.5))
        cleared: int | None = raised + _hours_ms(rng.lognormvariate(math.log(20.0), 0.9))
        if stay.exited_ms is not None and cleared >= stay.exited_ms:
            cleared = raised + int((stay.exited_ms - raised) * 0.7)
        elif stay.exited_ms is None and (cleared > horizon or rng.random() < 0.4):
            cleared = None
        author = rng.choice(team)
        events = [_Event(raised, 1, author, (_flag_item(raised=True),))]
        if cleared is not None:
            events.append(_Event(cleared, 1, author, (_flag_item(raised=False),)))
        return events, cleared is None

    def _noise(
        self,
        index: int,
        rng: random.Random,
        created: int,
        end: int,
        walk_events: list[_Event],
        team: tuple[Person, ...],
        labels: tuple[str, ...],
        final: int | None,
    ) -> tuple[list[_Event], Person | None, tuple[str, ...]]:
        """Assignee and label changes within (created, end]: history that is not flow, but that pushes some
        issues past the 20 histories a search embeds. `final`, when given, is one last assignment there."""
        first = created + _MINUTE_MS
        moments: list[tuple[int, str]] = []
        if end > first:
            if walk_events:
                moments.append(
                    (max(first, walk_events[0].at_ms - rng.randint(1, 90) * _MINUTE_MS), "assignee")
                )
            if rng.random() < 0.15:
                moments.append((rng.randint(first, end), "assignee"))
            if rng.random() < 0.12:
                moments.append((rng.randint(first, end), "labels"))
            extra = 0
            if index % 1000 == self._very_chatty_slot:
                extra = rng.randint(101, 160)
            elif self._unit(index, _STREAM_CHATTY) < _CHATTY:
                extra = rng.randint(20, 45)
            moments.extend((rng.randint(first, end), "assignee") for _ in range(extra))
        moments.sort()
        if final is not None:
            moments.append((final, "assignee"))
        assignee: Person | None = None
        events: list[_Event] = []
        for moment, field in moments:
            author = rng.choice(team)
            if field == "assignee":
                new = rng.choice([person for person in team if person is not assignee])
                item = Item(
                    "assignee",
                    "jira",
                    "assignee",
                    assignee.account_id if assignee else None,
                    assignee.display_name if assignee else None,
                    new.account_id,
                    new.display_name,
                )
                assignee = new
            else:
                missing = [label for label in self.project_of(index).labels if label not in labels]
                if not missing:
                    continue
                after = tuple(sorted((*labels, rng.choice(missing))))
                item = Item("labels", "jira", "labels", None, " ".join(labels), None, " ".join(after))
                labels = after
            events.append(_Event(moment, 2, author, (item,)))
        return events, assignee, labels

    def _daily_change(
        self, index: int, workflow: Workflow, status: str, resolution: Resolution | None
    ) -> _Event:
        """The one extra status change of the daily-change knob: reopen a done item, else move it on."""
        if _is_done(status):
            target = workflow.reopen_to
        elif workflow.detour and status == workflow.detour[2]:
            target = workflow.detour[0]
        else:
            target = workflow.path[workflow.path.index(status) + 1]
        author = PEOPLE[self._hash(index, _STREAM_CHANGE_TIME) % len(PEOPLE)]
        return _Event(self.change_ms(index), 3, author, _transition(status, target, resolution, cancel=False))

    # ---- rendering ---------------------------------------------------------------------------------------

    def format_ms(self, moment_ms: int) -> str:
        """Jira's timestamp format, `2025-03-04T10:15:30.123+0000`, in the organisation's offset.

        Integer arithmetic and a memo of day strings: strftime was a quarter of the tracker's serving time.
        """
        offset = self.utc_offset_minutes
        seconds, millis = divmod(moment_ms + offset * _MINUTE_MS, 1000)
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        sign = "+" if offset >= 0 else "-"
        zone_hours, zone_minutes = divmod(abs(offset), 60)
        return (
            f"{_day_text(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
            f"{sign}{zone_hours:02d}{zone_minutes:02d}"
        )

    def history_json(self, history: History) -> dict[str, Any]:
        return {
            "id": str(history.id),
            "author": person_json(history.author),
            "created": self.format_ms(history.at_ms),
            "items": [
                {
                    "field": item.field,
                    "fieldtype": item.fieldtype,
                    "fieldId": item.field_id,
                    "from": item.from_value,
                    "fromString": item.from_string,
                    "to": item.to_value,
                    "toString": item.to_string,
                }
                for item in history.items
            ],
        }

    def histories(self, index: int) -> list[dict[str, Any]]:
        """Every history of issue `index`, oldest first."""
        return [self.history_json(history) for history in self.plan(index).histories]

    def issue(
        self, index: int, base_url: str = DEFAULT_BASE_URL, *, changelog: bool = True
    ) -> dict[str, Any]:
        """The Jira issue JSON of issue `index`, with every history (oldest first) when `changelog`."""
        plan = self.plan(index)
        issue_id = self.issue_id(index)
        fields: dict[str, Any] = {
            "summary": plan.summary,
            "issuetype": issue_type_json(plan.issue_type, base_url),
            "status": status_json(STATUSES[plan.status], base_url),
            "project": project_json(plan.project, base_url),
            "created": self.format_ms(plan.created_ms),
            "updated": self.format_ms(plan.updated_ms),
            "resolution": resolution_json(plan.resolution, base_url) if plan.resolution else None,
            "resolutiondate": self.format_ms(plan.resolved_ms) if plan.resolved_ms is not None else None,
            "labels": list(plan.labels),
            "components": [{"name": plan.component}],
            "fixVersions": self._fix_versions(plan),
            FLAGGED_FIELD_ID: [dict(FLAGGED_OPTION)] if plan.flagged else None,
            "assignee": person_json(plan.assignee) if plan.assignee else None,
        }
        if plan.parent is not None:
            parent_id = self.issue_id(plan.parent)
            fields["parent"] = {
                "id": parent_id,
                "key": self.key(plan.parent),
                "self": f"{base_url}/rest/api/3/issue/{parent_id}",
                "fields": {"issuetype": issue_type_json(self.issue_type_of(plan.parent), base_url)},
            }
        issue: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue_id,
            "self": f"{base_url}/rest/api/3/issue/{issue_id}",
            "key": self.key(index),
            "fields": fields,
        }
        if changelog:
            histories = self.histories(index)
            total = len(histories)
            issue["changelog"] = {"startAt": 0, "maxResults": total, "total": total, "histories": histories}
        return issue

    def _fix_versions(self, plan: IssuePlan) -> list[dict[str, str]]:
        """Done PAY and MOB items ship in a monthly release named after the month they were resolved."""
        if plan.resolution is not RESOLUTION_DONE or plan.resolved_ms is None or plan.project.key == "OPS":
            return []
        resolved = _EPOCH + timedelta(milliseconds=plan.resolved_ms)
        return [{"name": f"{plan.project.key.lower()}-{resolved:%Y.%m}"}]

    def projects(self, base_url: str = DEFAULT_BASE_URL) -> list[dict[str, Any]]:
        return [project_json(project, base_url) for project in PROJECTS]

    def statuses(self, base_url: str = DEFAULT_BASE_URL) -> list[dict[str, Any]]:
        return [status_json(status, base_url) for status in STATUSES.values()]

    def issue_types(self, base_url: str = DEFAULT_BASE_URL) -> list[dict[str, Any]]:
        return [issue_type_json(issue_type, base_url) for issue_type in ISSUE_TYPES]

    def fields(self) -> list[dict[str, Any]]:
        return fields_json()


@lru_cache(maxsize=4096)
def _day_text(days_since_epoch: int) -> str:
    return f"{_EPOCH + timedelta(days=days_since_epoch):%Y-%m-%d}"


def _to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _midnight_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _aware_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _zone_name(offset_minutes: int) -> str:
    """A fixed-offset zone name for `myself.timeZone`, so clients format JQL dates in the served offset."""
    if offset_minutes == 0:
        return "UTC"
    if offset_minutes in _ODD_OFFSET_ZONES:
        return _ODD_OFFSET_ZONES[offset_minutes]
    hours, rest = divmod(abs(offset_minutes), 60)
    if rest or not -12 * 60 <= offset_minutes <= 14 * 60:
        raise ValueError(f"utc_offset_minutes {offset_minutes} has no fixed-offset zone name")
    # Etc/GMT names invert the sign: Etc/GMT-8 is UTC+08:00.
    return f"Etc/GMT{'-' if offset_minutes > 0 else '+'}{hours}"
