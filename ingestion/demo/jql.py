"""The subset of JQL the demo tracker understands, parsed into a filter it can apply issue by issue.

Supported: `project = KEY`, `project in (A, "B")`, `updated|created  >= > <= < =  "yyyy-MM-dd HH:mm"` (or a
date, or epoch milliseconds), joined by AND, and `ORDER BY field [ASC|DESC], ...`. Dates are read in the
organisation's UTC offset, as Jira reads them in the user's zone. Anything else is a 400, like Jira's own
parse errors, so a client never silently gets a wider result than it asked for.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from .catalog import PROJECTS, Project
from .generator import DemoOrganisation

_TOKEN: Final = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|!=|=|>|<)|(?P<punct>[(),])"""
    r"""|(?P<word>[^\s()<>=!,"']+))"""
)
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_COMPARISONS: Final[dict[str, Callable[[int, int], bool]]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}
_SORTABLE: Final = frozenset({"key", "issuekey", "id", "created", "updated", "rank"})


class JqlError(ValueError):
    """A query the demo cannot run; its message goes back to the client in `errorMessages`."""


@dataclass(frozen=True)
class TimeFilter:
    field: str
    op: str
    moment_ms: int

    def accepts(self, value_ms: int) -> bool:
        return _COMPARISONS[self.op](value_ms, self.moment_ms)

    def decided_by(self, low: int, high: int) -> bool | None:
        """The filter's verdict for any value in [low, high], or None when the bounds do not settle it."""
        if low == high:
            return self.accepts(low)
        if self.op == "=":
            return None if low <= self.moment_ms <= high else False
        at_low, at_high = self.accepts(low), self.accepts(high)
        return at_low if at_low == at_high else None


@dataclass
class Query:
    """A parsed JQL query: the projects allowed (None = all), time filters and the requested order."""

    projects: frozenset[str] | None = None
    time_filters: list[TimeFilter] = field(default_factory=list)
    order_by: list[tuple[str, str]] = field(default_factory=list)

    def matches(self, org: DemoOrganisation, index: int) -> bool:
        """Whether issue `index` satisfies the query, deciding on cheap facts before building the issue."""
        if self.projects is not None and org.project_of(index).key not in self.projects:
            return False
        for time_filter in self.time_filters:
            if time_filter.field == "created":
                if not time_filter.accepts(org.created_ms(index)):
                    return False
                continue
            verdict = time_filter.decided_by(*org.coarse_updated_bounds(index))
            if verdict is None:
                verdict = time_filter.decided_by(*org.updated_bounds(index))
            if verdict is None:
                verdict = time_filter.accepts(org.updated_ms(index))
            if not verdict:
                return False
        return True

    def updated_floor(self) -> int | None:
        """The earliest `updated` any match can have, or None when no filter bounds it from below."""
        floors = [
            f.moment_ms + (1 if f.op == ">" else 0)
            for f in self.time_filters
            if f.field == "updated" and f.op in {">=", ">", "="}
        ]
        return max(floors) if floors else None

    def scan_range(self, org: DemoOrganisation) -> tuple[int, int]:
        """The index range outside which no issue can match, so scans start late and stop early."""
        start, stop = 0, org.issues
        for time_filter in self.time_filters:
            after = time_filter.moment_ms + (1 if time_filter.op == ">" else 0)
            if time_filter.field == "created" and time_filter.op in {">=", ">", "="}:
                start = max(start, org.first_index_created_at_or_after(after))
            if time_filter.field == "updated" and time_filter.op in {">=", ">", "="}:
                start = max(start, org.first_index_updated_at_or_after(after))
            if time_filter.field == "created" and time_filter.op in {"<", "<=", "="}:
                limit = time_filter.moment_ms + (0 if time_filter.op == "<" else 1)
                stop = min(stop, org.first_index_created_at_or_after(limit))
        return start, max(start, stop)


def parse_jql(text: str, org: DemoOrganisation) -> Query:
    """Parse `text` or raise JqlError with a message shaped like Jira's."""
    tokens = _tokenize(text)
    query = Query()
    position = 0
    while position < len(tokens):
        word = tokens[position].lower()
        if word == "order":
            query.order_by = _parse_order(tokens, position)
            return query
        if position > 0:
            if word != "and":
                raise JqlError(
                    f"Error in the JQL Query: expecting 'AND' or 'ORDER BY' but got '{tokens[position]}'."
                )
            position += 1
        position = _parse_clause(tokens, position, query, org)
    return query


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: the character '{text[position]}' is a reserved JQL character."
            )
        tokens.append(match.group(match.lastgroup or "word").strip())
        position = match.end()
    return [token for token in tokens if token]


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _expect(tokens: list[str], position: int) -> str:
    if position >= len(tokens):
        raise JqlError("Error in the JQL Query: the query ends unexpectedly.")
    return tokens[position]


def _parse_clause(tokens: list[str], position: int, query: Query, org: DemoOrganisation) -> int:
    field_name = _expect(tokens, position).lower()
    op = _expect(tokens, position + 1).lower()
    if field_name == "project" and op == "=":
        keys = {_project(_unquote(_expect(tokens, position + 2))).key}
        position += 3
    elif field_name == "project" and op == "in":
        values, position = _parse_list(tokens, position + 2)
        keys = {_project(value).key for value in values}
    elif field_name in {"updated", "created"} and op in _COMPARISONS:
        moment = _parse_moment(_unquote(_expect(tokens, position + 2)), org.utc_offset_minutes)
        query.time_filters.append(TimeFilter(field_name, op, moment))
        return position + 3
    else:
        raise JqlError(
            f"Error in the JQL Query: the demo tracker does not support '{field_name} {op}' "
            "(supported: project =, project in, updated/created comparisons, ORDER BY)."
        )
    query.projects = frozenset(keys) if query.projects is None else query.projects & keys
    return position


def _parse_list(tokens: list[str], position: int) -> tuple[list[str], int]:
    if _expect(tokens, position) != "(":
        raise JqlError("Error in the JQL Query: expecting '(' after 'in'.")
    values: list[str] = []
    position += 1
    while True:
        values.append(_unquote(_expect(tokens, position)))
        separator = _expect(tokens, position + 1)
        position += 2
        if separator == ")":
            return values, position
        if separator != ",":
            raise JqlError(f"Error in the JQL Query: expecting ',' or ')' but got '{separator}'.")


def _parse_order(tokens: list[str], position: int) -> list[tuple[str, str]]:
    if _expect(tokens, position + 1).lower() != "by":
        raise JqlError("Error in the JQL Query: expecting 'BY' after 'ORDER'.")
    order: list[tuple[str, str]] = []
    position += 2
    while position < len(tokens):
        name = _unquote(tokens[position]).lower()
        if name not in _SORTABLE:
            raise JqlError(f"Not able to sort using field '{tokens[position]}'.")
        direction = "asc"
        position += 1
        if position < len(tokens) and tokens[position].lower() in {"asc", "desc"}:
            direction = tokens[position].lower()
            position += 1
        order.append((name, direction))
        if position < len(tokens):
            if tokens[position] != ",":
                raise JqlError(f"Error in the JQL Query: unexpected '{tokens[position]}' in ORDER BY.")
            position += 1
    if not order:
        raise JqlError("Error in the JQL Query: ORDER BY needs a field.")
    return order


def _project(value: str) -> Project:
    """A project by key, id or name, case-insensitively, as JQL accepts them."""
    wanted = value.strip().lower()
    for project in PROJECTS:
        if wanted in {project.key.lower(), project.id, project.name.lower()}:
            return project
    raise JqlError(f"The value '{value}' does not exist for the field 'project'.")


def _parse_moment(value: str, offset_minutes: int) -> int:
    """A JQL date literal in the organisation's offset, as epoch milliseconds (minute-grained)."""
    if value.isdigit():
        return int(value)
    for date_format in _DATE_FORMATS:
        try:
            local = datetime.strptime(value, date_format)
        except ValueError:
            continue
        moment = local.replace(tzinfo=UTC) - timedelta(minutes=offset_minutes)
        return int(moment.timestamp() * 1000)
    raise JqlError(
        f"Date value '{value}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'."
    )
