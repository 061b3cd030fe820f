"""The demo organisation's code hosts: a GitHub repository and a GitLab project, deterministic like its Jira.

The demo's value streams cross tools, as real ones do: Payments also works in the GitHub repository
`demo-org/payments-api`, Mobile in the GitLab project `demo-group/mobile-app`. In both, the issue is the
flow item and moves through status labels (`status: in progress`, `workflow::in dev` ...); the pull request
or merge request that delivers it carries the review (review requested, changes requested, approved,
merged). A few bot pull requests (dependency updates) are merged or closed unmerged, and some issues are
blocked, reopened, or closed as not planned.

The conventions are the Jira generator's: items are created over the two years before the anchor, each unit of
work from its own random stream seeded from `(seed, host, index)`, and events after the anchor have not
happened yet. The newest issue is always opened in the hours before the anchor, so the sources look
fresh. A host holds a fifteenth of the Jira issues (at most `MAX_GIT_ISSUES`), so it is built whole on first
use and kept: listing by `updated_at`, as both APIs do, needs every item anyway. 200 issues take milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from .generator import HISTORY_SPAN_DAYS, _midnight_today, _mix64, _to_ms

GITHUB_REPOSITORY: Final = "demo-org/payments-api"
GITLAB_PROJECT: Final = "demo-group/mobile-app"
GITLAB_PROJECT_ID: Final = 4242
# One issue per this many Jira issues, per host; at most MAX_GIT_ISSUES (each item costs the sources one
# request per timeline page, so a million-issue Jira does not make a million-request GitHub).
JIRA_ISSUES_PER_GIT_ISSUE: Final = 15
MAX_GIT_ISSUES: Final = 2000

_SECOND_MS: Final = 1000
_MINUTE_MS: Final = 60_000
_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 86_400_000
_MASK64: Final = (1 << 64) - 1
_HOST_GITHUB: Final = 0x61_7468_7562  # independent streams per host, and from the Jira generator's
_HOST_GITLAB: Final = 0x67_6C61_6262

# GitHub: status labels name the tool state while an issue is open (see DECISIONLOG.md).
READY: Final = "status: ready"
IN_PROGRESS: Final = "status: in progress"
IN_REVIEW: Final = "status: in review"
# GitLab: scoped workflow labels, as GitLab's own engineering workflow names them.
WF_READY: Final = "workflow::ready for development"
WF_IN_DEV: Final = "workflow::in dev"
WF_IN_REVIEW: Final = "workflow::in review"
WF_VERIFICATION: Final = "workflow::verification"
BLOCKED: Final = "blocked"

GITHUB_PEOPLE: Final = ("amara-okafor", "jonas-berg", "priya-raman", "li-wei", "sofia-marquez", "tom-hale")
GITLAB_PEOPLE: Final = ("kenji.sato", "fatima.zahra", "lucas.moreau", "ines.costa", "oskar.nilsson")
GITHUB_BOT: Final = "dependabot[bot]"
GITLAB_BOT: Final = "renovate-bot"

# (label, share) of issues; the rest are features. GitHub's labels map by `flow_item_type_mappings.csv`.
_GITHUB_TYPE_LABELS: Final = (("bug", 0.24), ("security", 0.06), ("tech-debt", 0.09))
_GITLAB_TYPE_LABELS: Final = (("type::bug", 0.28), ("security", 0.05), ("type::maintenance", 0.08))
_GITLAB_FEATURE_LABEL: Final = "type::feature"
_NOUNS: Final = {
    "github": (
        "refund endpoint",
        "idempotency keys",
        "webhook signatures",
        "payout API",
        "rate limiter",
        "ledger",
    ),
    "gitlab": (
        "login screen",
        "push token refresh",
        "offline cache",
        "deep links",
        "crash reporter",
        "app rating",
    ),
}
_VERBS: Final = ("Add", "Fix", "Rework", "Speed up", "Harden", "Document", "Clean up")


def git_issues_for(jira_issues: int) -> int:
    """How many issues each code host gets for a Jira organisation of `jira_issues`."""
    return max(0, min(jira_issues // JIRA_ISSUES_PER_GIT_ISSUE, MAX_GIT_ISSUES))


EventKind = Literal[
    "labeled",
    "unlabeled",
    "assigned",
    "review_requested",
    "reviewed",
    "closed",
    "reopened",
    "merged",
    "cross-referenced",
    "commented",
]
ItemKind = Literal["issue", "pull_request", "merge_request"]


@dataclass(frozen=True, slots=True)
class GitEvent:
    """One thing that happened to an item. `position` orders events of the same instant (swaps, merges)."""

    at_ms: int
    position: int
    kind: EventKind
    actor: str
    label: str | None = None
    reviewer: str | None = None
    assignee: str | None = None
    review_state: str | None = None
    state_reason: str | None = None
    reference: tuple[str, int] | None = None  # the (kind, unit) of the pull request that references an issue
    commit: str | None = None


@dataclass(slots=True)
class GitItem:
    """One issue, pull request or merge request at the anchor: its kept events and the state they leave."""

    key: tuple[str, int]
    kind: ItemKind
    title: str
    author: str
    created_ms: int
    events: tuple[GitEvent, ...]
    number: int = 0
    item_id: int = 0
    state: str = "open"
    state_reason: str | None = None
    closed_ms: int | None = None
    merged_ms: int | None = None
    updated_ms: int = 0
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    comments: int = 0

    @property
    def is_issue(self) -> bool:
        return self.kind == "issue"


@dataclass
class _Draft:
    """An item while its story is written; events may run past the anchor until `settle` cuts them."""

    key: tuple[str, int]
    kind: ItemKind
    title: str
    author: str
    created_ms: int
    events: list[GitEvent] = field(default_factory=list)

    def add(self, at_ms: int, kind: EventKind, actor: str, **details: str | tuple[str, int] | None) -> None:
        self.events.append(GitEvent(at_ms, len(self.events), kind, actor, **details))  # type: ignore[arg-type]

    def swap(self, at_ms: int, actor: str, old: str | None, new: str) -> None:
        """Replace one status label by another at one instant: the removal first, as both hosts record it."""
        if old is not None:
            self.add(at_ms, "unlabeled", actor, label=old)
        self.add(at_ms, "labeled", actor, label=new)


def _hours(rng: random.Random, median: float, sigma: float) -> int:
    """A lognormal stay in milliseconds, at least five minutes, whole seconds (GitHub's resolution)."""
    value = rng.lognormvariate(math.log(median), sigma)
    return max(5 * _MINUTE_MS, int(value * _HOUR_MS) // _SECOND_MS * _SECOND_MS)


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


class _Host:
    """What both hosts share: seeded streams, creation times, the cut at the anchor, lazy building."""

    host_key: int = 0

    def __init__(self, seed: int = 7, issues: int = 200, anchor: datetime | None = None) -> None:
        if issues < 0:
            raise ValueError("issues must be zero or more")
        self.seed = seed
        self.issues = issues
        self.anchor = _midnight_today() if anchor is None else anchor
        self.anchor_ms = _to_ms(self.anchor)
        self._span_ms = HISTORY_SPAN_DAYS * _DAY_MS
        self._start_ms = self.anchor_ms - self._span_ms
        self._seed_key = _mix64((seed & _MASK64) ^ self.host_key)
        self._items: tuple[GitItem, ...] | None = None
        self._lock = threading.Lock()

    def _rng(self, unit: int) -> random.Random:
        return random.Random(_mix64(_mix64(self._seed_key ^ unit) ^ 0x5EED))

    def created_ms(self, unit: int, rng: random.Random) -> int:
        """Evenly spread over the two years, index order is creation order; the newest on the anchor's eve."""
        if unit == self.issues - 1:
            return self.anchor_ms - rng.randint(1 * 3600, 10 * 3600) * _SECOND_MS
        jitter = rng.uniform(0.0, 0.9)
        moment = self._start_ms + int((unit + jitter) * self._span_ms / max(self.issues, 1))
        return moment // _SECOND_MS * _SECOND_MS

    @property
    def items(self) -> tuple[GitItem, ...]:
        """Every item that exists at the anchor, in creation order (built on first use, then kept)."""
        with self._lock:
            if self._items is None:
                drafts = [draft for unit in range(self.issues) for draft in self._unit(unit)]
                self._items = self._number([item for item in map(self._settle, drafts) if item is not None])
            return self._items

    def _unit(self, unit: int) -> list[_Draft]:
        raise NotImplementedError

    def _number(self, items: list[GitItem]) -> tuple[GitItem, ...]:
        raise NotImplementedError

    def _settle(self, draft: _Draft) -> GitItem | None:
        """The item as it stands at the anchor: later events are cut, the state replayed from the rest."""
        if draft.created_ms > self.anchor_ms:
            return None
        kept = tuple(
            sorted(
                (event for event in draft.events if event.at_ms <= self.anchor_ms),
                key=lambda event: (event.at_ms, event.position),
            )
        )
        item = GitItem(draft.key, draft.kind, draft.title, draft.author, draft.created_ms, kept)
        labels: list[str] = []
        assignees: list[str] = []
        for event in kept:
            if event.kind == "labeled" and event.label not in labels:
                labels.append(event.label or "")
            elif event.kind == "unlabeled" and event.label in labels:
                labels.remove(event.label)
            elif event.kind == "assigned" and event.assignee and event.assignee not in assignees:
                assignees.append(event.assignee)
            elif event.kind == "closed":
                item.state, item.closed_ms, item.state_reason = "closed", event.at_ms, event.state_reason
            elif event.kind == "reopened":
                item.state, item.closed_ms, item.state_reason = "open", None, "reopened"
            elif event.kind == "merged":
                item.merged_ms = event.at_ms
            elif event.kind == "commented":
                item.comments += 1
        item.labels, item.assignees = tuple(labels), tuple(assignees)
        item.updated_ms = max([draft.created_ms, *(event.at_ms for event in kept)])
        return item

    def _title(self, rng: random.Random, host: str) -> str:
        return f"{rng.choice(_VERBS)} {rng.choice(_NOUNS[host])}"

    @staticmethod
    def _type_label(rng: random.Random, labels: tuple[tuple[str, float], ...]) -> str | None:
        draw = rng.random()
        for label, share in labels:
            if draw < share:
                return label
            draw -= share
        return None


class DemoGitHubRepository(_Host):
    """`demo-org/payments-api`: issues moved by status labels, each delivered by a reviewed pull request.

    An issue waits `Open`, maybe `status: ready`, is worked `status: in progress` (assigned, sometimes
    `blocked` for a while), waits `status: in review` while its pull request is reviewed (changes requested
    send it back), and closes as completed when the pull request merges. Some issues are never started (some
    of those closed as not planned), some pull requests are abandoned (the issue closed as not planned), some
    closed issues are reopened and fixed again. Issues and pull requests share one number sequence.
    """

    host_key = _HOST_GITHUB
    name = GITHUB_REPOSITORY

    def _unit(self, unit: int) -> list[_Draft]:
        rng = self._rng(unit)
        created = self.created_ms(unit, rng)
        author, developer = rng.sample(GITHUB_PEOPLE, 2)
        reviewers = [person for person in GITHUB_PEOPLE if person != developer]
        title = self._title(rng, "github")
        issue = _Draft(("issue", unit), "issue", title, author, created)
        drafts = [issue]
        type_label = self._type_label(rng, _GITHUB_TYPE_LABELS)
        if type_label:
            issue.add(created, "labeled", author, label=type_label)
        if rng.random() < 0.35:
            issue.add(created + _hours(rng, 3.0, 1.0), "commented", rng.choice(GITHUB_PEOPLE))
        if rng.random() < 0.12:
            drafts.append(self._bot_pull_request(unit, rng, created))
        if rng.random() < 0.09:  # never started; most of those are closed as not planned after a while
            if rng.random() < 0.6:
                issue.add(created + _hours(rng, 400.0, 0.8), "closed", author, state_reason="not_planned")
            return drafts

        moment = created + _hours(rng, 40.0, 1.1)
        label: str | None = None
        if rng.random() < 0.55:
            label = READY
            issue.add(moment, "labeled", author, label=READY)
            moment += _hours(rng, 60.0, 1.0)
        issue.swap(moment, developer, label, IN_PROGRESS)
        issue.add(moment, "assigned", author, assignee=developer)
        coding = _hours(rng, 30.0, 0.8)
        if rng.random() < 0.10:
            raised = moment + coding // 5
            issue.add(raised, "labeled", developer, label=BLOCKED)
            issue.add(
                raised + min(_hours(rng, 20.0, 0.8), coding // 2), "unlabeled", developer, label=BLOCKED
            )
            coding += _hours(rng, 12.0, 0.6)
        moment += coding

        pull = _Draft(("pull", unit), "pull_request", f"{title} (#{unit})", developer, moment)
        drafts.append(pull)
        issue.add(moment, "cross-referenced", developer, reference=("pull", unit))
        rounds = 1 + (rng.random() < 0.3) + (rng.random() < 0.08)
        for round_index in range(rounds):
            moment += _hours(rng, 0.2, 0.8) if round_index == 0 else _hours(rng, 8.0, 0.8)
            reviewer = rng.choice(reviewers)
            pull.add(moment, "review_requested", developer, reviewer=reviewer)
            issue.swap(moment, developer, IN_PROGRESS, IN_REVIEW)
            moment += _hours(rng, 18.0, 1.0)
            approved = round_index == rounds - 1
            state = "approved" if approved else "changes_requested"
            pull.add(
                moment, "reviewed", reviewer, review_state=state, commit=_sha(self.seed, unit, round_index)
            )
            if not approved:
                issue.swap(moment, reviewer, IN_REVIEW, IN_PROGRESS)
        if (
            rng.random() < 0.05
        ):  # abandoned: the pull request closed unmerged, the issue not planned after all
            moment += _hours(rng, 30.0, 1.0)
            pull.add(moment, "closed", developer)
            issue.add(moment + 60 * _SECOND_MS, "closed", developer, state_reason="not_planned")
            return drafts
        moment += _hours(rng, 2.0, 0.8)
        commit = _sha(self.seed, unit, "merge")
        pull.add(moment, "merged", developer, commit=commit)
        pull.add(moment, "closed", developer, commit=commit)
        issue.add(moment + 2 * _SECOND_MS, "closed", developer, state_reason="completed", commit=commit)
        if rng.random() < 0.08:  # reopened: back to work at once, fixed by a commit
            moment += _hours(rng, 80.0, 1.0)
            issue.add(moment, "reopened", author)
            issue.swap(moment, developer, IN_REVIEW, IN_PROGRESS)
            moment += _hours(rng, 14.0, 0.9)
            issue.add(
                moment, "closed", developer, state_reason="completed", commit=_sha(self.seed, unit, "fix")
            )
        return drafts

    def _bot_pull_request(self, unit: int, rng: random.Random, after: int) -> _Draft:
        """A dependency update: merged after a review, or closed unmerged when a newer one replaces it."""
        opened = after + _hours(rng, 30.0, 1.0)
        pull = _Draft(("bot", unit), "pull_request", "Bump a dependency", GITHUB_BOT, opened)
        pull.add(opened, "labeled", GITHUB_BOT, label="dependencies")
        done = opened + _hours(rng, 20.0, 1.0)
        if rng.random() < 0.7:
            reviewer = rng.choice(GITHUB_PEOPLE)
            pull.add(opened + _MINUTE_MS, "review_requested", GITHUB_BOT, reviewer=reviewer)
            pull.add(
                done - _MINUTE_MS, "reviewed", reviewer, review_state="approved", commit=_sha(unit, "bot")
            )
            commit = _sha(self.seed, unit, "bot-merge")
            pull.add(done, "merged", reviewer, commit=commit)
            pull.add(done, "closed", reviewer, commit=commit)
        else:
            pull.add(done, "closed", GITHUB_BOT)
        return pull

    def _number(self, items: list[GitItem]) -> tuple[GitItem, ...]:
        """One number sequence for issues and pull requests, in creation order, as GitHub numbers them."""
        ordered = sorted(items, key=lambda item: (item.created_ms, item.key))
        for number, item in enumerate(ordered, start=1):
            item.number = number
            item.item_id = 2_400_000_000 + number * 7 + (self.seed % 7)
        return tuple(ordered)


class DemoGitLabProject(_Host):
    """`demo-group/mobile-app`: issues moved by scoped `workflow::` labels, delivered by merge requests.

    An issue waits `Open`, then `workflow::ready for development`, is built `workflow::in dev` (sometimes
    `blocked`), waits `workflow::in review` while its merge request is reviewed (changes requested send both
    back to `workflow::in dev`), is checked `workflow::verification` after the merge (a failed check sends it
    back), and closes. Some issues are never started, some closed ones are reopened. Issues and merge requests
    have separate iid sequences, as in GitLab.
    """

    host_key = _HOST_GITLAB
    name = GITLAB_PROJECT
    project_id = GITLAB_PROJECT_ID

    def _unit(self, unit: int) -> list[_Draft]:
        rng = self._rng(unit)
        created = self.created_ms(unit, rng) + rng.randint(0, 999)  # GitLab keeps milliseconds
        author, developer = rng.sample(GITLAB_PEOPLE, 2)
        reviewers = [person for person in GITLAB_PEOPLE if person != developer]
        title = self._title(rng, "gitlab")
        issue = _Draft(("issue", unit), "issue", title, author, created)
        drafts = [issue]
        issue.add(
            created,
            "labeled",
            author,
            label=self._type_label(rng, _GITLAB_TYPE_LABELS) or _GITLAB_FEATURE_LABEL,
        )
        if rng.random() < 0.10:
            drafts.append(self._bot_merge_request(unit, rng, created))
        if rng.random() < 0.08:  # never started: it stays open in the backlog
            return drafts

        moment = created + _hours(rng, 30.0, 1.1)
        issue.add(moment, "labeled", author, label=WF_READY)
        moment += _hours(rng, 45.0, 1.0)
        issue.swap(moment, developer, WF_READY, WF_IN_DEV)
        coding = _hours(rng, 32.0, 0.8)
        if rng.random() < 0.10:
            raised = moment + coding // 4
            issue.add(raised, "labeled", developer, label=BLOCKED)
            issue.add(
                raised + min(_hours(rng, 24.0, 0.8), coding // 2), "unlabeled", developer, label=BLOCKED
            )
            coding += _hours(rng, 16.0, 0.6)
        moment += coding

        merge = _Draft(("merge", unit), "merge_request", f'Resolve "{title}"', developer, moment)
        drafts.append(merge)
        merge.add(moment, "labeled", developer, label=WF_IN_REVIEW)
        issue.swap(moment, developer, WF_IN_DEV, WF_IN_REVIEW)
        rounds = 1 + (rng.random() < 0.3) + (rng.random() < 0.08)
        for round_index in range(rounds):
            if round_index:
                moment += _hours(rng, 8.0, 0.8)
                merge.swap(moment, developer, WF_IN_DEV, WF_IN_REVIEW)
                issue.swap(moment, developer, WF_IN_DEV, WF_IN_REVIEW)
            moment += _hours(rng, 22.0, 1.0)
            if round_index < rounds - 1:
                reviewer = rng.choice(reviewers)
                merge.swap(moment, reviewer, WF_IN_REVIEW, WF_IN_DEV)
                issue.swap(moment, reviewer, WF_IN_REVIEW, WF_IN_DEV)
        moment += _hours(rng, 2.0, 0.8)
        merge.add(moment, "merged", developer)
        issue.swap(moment, developer, WF_IN_REVIEW, WF_VERIFICATION)
        moment += _hours(rng, 16.0, 0.8)
        if rng.random() < 0.08:  # the check failed: a quick fix, then verified again
            issue.swap(moment, author, WF_VERIFICATION, WF_IN_DEV)
            moment += _hours(rng, 10.0, 0.8)
            issue.swap(moment, developer, WF_IN_DEV, WF_VERIFICATION)
            moment += _hours(rng, 6.0, 0.8)
        issue.add(moment, "closed", author)
        if rng.random() < 0.06:  # reopened: back in dev at once, then verified and closed again
            moment += _hours(rng, 90.0, 1.0)
            issue.swap(moment, author, WF_VERIFICATION, WF_IN_DEV)
            issue.add(moment, "reopened", author)
            moment += _hours(rng, 12.0, 0.9)
            issue.swap(moment, developer, WF_IN_DEV, WF_VERIFICATION)
            moment += _hours(rng, 6.0, 0.8)
            issue.add(moment, "closed", author)
        return drafts

    def _bot_merge_request(self, unit: int, rng: random.Random, after: int) -> _Draft:
        opened = after + _hours(rng, 30.0, 1.0)
        merge = _Draft(("bot", unit), "merge_request", "chore(deps): update a dependency", GITLAB_BOT, opened)
        merge.add(opened, "labeled", GITLAB_BOT, label="dependencies")
        done = opened + _hours(rng, 20.0, 1.0)
        merge.add(done, "merged" if rng.random() < 0.7 else "closed", rng.choice(GITLAB_PEOPLE))
        return merge

    def _number(self, items: list[GitItem]) -> tuple[GitItem, ...]:
        """Separate iid sequences for issues and merge requests, each in creation order."""
        ordered = sorted(items, key=lambda item: (item.created_ms, item.key))
        counters = {"issue": 0, "merge_request": 0}
        for item in ordered:
            counters[item.kind] += 1
            item.number = counters[item.kind]
            base = 160_000_000 if item.kind == "issue" else 290_000_000
            item.item_id = base + item.number
        return tuple(ordered)


def demo_hosts(
    seed: int, issues: int, anchor: datetime | None
) -> tuple[DemoGitHubRepository, DemoGitLabProject]:
    """The two code hosts of a Jira demo organisation of `issues` issues (same seed and anchor)."""
    count = git_issues_for(issues)
    return DemoGitHubRepository(seed, count, anchor), DemoGitLabProject(seed, count, anchor)
