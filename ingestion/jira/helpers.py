"""HTTP client and page flattening for the Jira source.

The client owns authentication, retries and error messages; the flatteners turn one page of issues into
Arrow tables so dlt can load them without its (slow, memory-hungry) nested normalisation.
"""

from __future__ import annotations

import gc
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import pyarrow as pa
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from . import settings

logger = logging.getLogger(__name__)


class JiraError(RuntimeError):
    """A failure the user can act on; its message names what to fix and never carries a credential."""


class JiraConfigurationError(JiraError):
    """A setting is missing or wrong: rerunning without changing it fails the same way."""


class JiraAuthError(JiraConfigurationError):
    """The tracker refused the credentials."""


class TransientJiraError(JiraError):
    """A failure worth retrying: throttling, a 5xx, a timeout or a broken body."""

    def __init__(self, message: str, retry_after: float | None = None, throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.throttled = throttled


def _wait_for(backoff_seconds: float) -> Callable[[RetryCallState], float]:
    """Honour Retry-After when the server sent one, else back off exponentially (1, 2, 4 ... 30 s)."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientJiraError) and error.retry_after:
            # A throttling Jira may ask for long waits (within the budget); a failing one gets at most 2 min.
            return min(error.retry_after, settings.THROTTLE_BUDGET_SECONDS if error.throttled else 120.0)
        return min(backoff_seconds * 2 ** (state.attempt_number - 1), 30.0)

    return wait


def _stop_after(max_attempts: int) -> Callable[[RetryCallState], bool]:
    """Give up after `max_attempts` failures, not counting throttling (429), which is waited out as long as
    the request's waits stay within `THROTTLE_BUDGET_SECONDS`: a busy Jira slows a refresh, it does not fail.
    """
    failures = 0

    def stop(state: RetryCallState) -> bool:
        nonlocal failures
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientJiraError) and error.throttled:
            # By the clock, the wait about to start included: a zero Retry-After must not loop for ever.
            elapsed = state.seconds_since_start or 0.0
            return elapsed + state.upcoming_sleep > settings.THROTTLE_BUDGET_SECONDS
        failures += 1
        return failures >= max_attempts

    return stop


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning("Jira request failed (%s); retrying (attempt %d)", error, state.attempt_number + 1)


@dataclass
class JiraClient:
    """A Jira REST client for Cloud (API v3) or Data Center / Server (API v2)."""

    base_url: str
    email: str | None = None
    # Secrets stay out of the dataclass's repr (a log line or an error that prints the client).
    api_token: str | None = field(default=None, repr=False)
    personal_access_token: str | None = field(default=None, repr=False)
    timeout: float = settings.REQUEST_TIMEOUT_SECONDS
    max_attempts: int = settings.MAX_RETRIES
    backoff_seconds: float = 1.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.base_url = (self.base_url or "").strip().rstrip("/")
        if not self.base_url.lower().startswith(("https://", "http://")):
            raise JiraConfigurationError(
                f"SOURCES__JIRA__BASE_URL is {self.base_url!r}: set it to your Jira's address with its "
                "scheme, for example https://acme.atlassian.net (Cloud) or https://jira.acme.com "
                "(Data Center)."
            )
        if self.personal_access_token:
            self.session.headers["Authorization"] = f"Bearer {self.personal_access_token}"
        elif self.email and self.api_token:
            self.session.auth = (self.email, self.api_token)
        else:
            raise JiraConfigurationError(
                "Jira credentials are missing: set SOURCES__JIRA__EMAIL and SOURCES__JIRA__API_TOKEN "
                "(Jira Cloud) or SOURCES__JIRA__PERSONAL_ACCESS_TOKEN (Jira Data Center / Server)."
            )
        self.session.headers["Accept"] = "application/json"

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """Send a request and return its decoded JSON body, retrying what is transient (bounded)."""
        return self._retrying()(self._request_once, method, path, params, body)

    def get_raw(self, path: str, decode: Callable[[bytes], Any], **params: Any) -> Any:
        """GET and return `decode(body)`; a body `decode` rejects (ValueError) is retried as a broken one."""

        def once() -> Any:
            raw = self._request_once("GET", path, params or None, None, raw=True)
            try:
                return decode(raw)
            except ValueError as error:
                raise TransientJiraError(f"GET {path} returned a body that is not valid JSON") from error

        return self._retrying()(once)

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(TransientJiraError),
            wait=_wait_for(self.backoff_seconds),
            stop=_stop_after(self.max_attempts),
            before_sleep=_log_retry,
            reraise=True,
        )

    def _request_once(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any, raw: bool = False
    ) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.Timeout as error:
            raise TransientJiraError(f"{method} {path} timed out after {self.timeout:.0f} s") from error
        except requests.ConnectionError as error:
            raise TransientJiraError(
                f"cannot connect to {self.base_url} ({type(error).__name__}): check SOURCES__JIRA__BASE_URL "
                "and that this machine can reach it"
            ) from error
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as error:
            raise JiraConfigurationError(
                f"SOURCES__JIRA__BASE_URL {self.base_url!r} is not a usable address ({error})"
            ) from error
        except requests.RequestException as error:  # a body cut off mid-way, a broken chunk
            failure = type(error).__name__
            raise TransientJiraError(f"{method} {path} failed mid-response ({failure})") from error
        status = response.status_code
        if status in (401, 403):
            raise JiraAuthError(
                f"Jira at {self.base_url} answered {status} to {path}: check SOURCES__JIRA__EMAIL and "
                "SOURCES__JIRA__API_TOKEN (Cloud) or SOURCES__JIRA__PERSONAL_ACCESS_TOKEN (Data Center), "
                "and that this user may browse the projects."
            )
        if status == 429:
            raise TransientJiraError(f"{method} {path} answered 429", _retry_after(response), throttled=True)
        if status >= 500:
            raise TransientJiraError(f"{method} {path} answered {status}", _retry_after(response))
        if status >= 400:
            raise JiraError(f"{method} {path} answered {status}: {_error_text(response)}")
        if raw:
            return response.content
        try:
            return loads_without_gc(response.content)
        except orjson.JSONDecodeError as error:
            raise TransientJiraError(f"{method} {path} returned a body that is not valid JSON") from error

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post_raw(self, path: str, body: Any) -> bytes:
        """POST and return the undecoded body, retrying what is transient (bounded)."""
        return self._retrying()(self._request_once, "POST", path, None, body, True)  # type: ignore[no-any-return]

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)


def loads_without_gc(payload: bytes) -> Any:
    """Decode JSON with the cycle collector paused.

    A search page decodes into ~100k dicts, lists and strings; left on, the collector runs every few hundred
    allocations and re-scans the half-built page each time, which made decoding ~3x slower. Decoded JSON
    holds no reference cycles, so there is nothing for the collector to find in it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(payload)
    finally:
        if enabled:
            gc.enable()


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date (RFC 9110) converted to the seconds until it."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def _error_text(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    messages = payload.get("errorMessages") or []
    errors = payload.get("errors") or {}
    return "; ".join([*messages, *(f"{key}: {value}" for key, value in errors.items())])[:500] or str(payload)


def parse_jira_timestamp(value: str | None) -> datetime | None:
    """Jira's `2025-03-04T10:15:30.123+0800` as naive UTC (the warehouse stores UTC without a zone)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# Java's fixed-offset zone ids, which a Data Center user's profile can hold: `GMT-05:00`, `GMT+0530`, `GMT`.
_FIXED_OFFSET_ZONE = re.compile(r"^(?:GMT|UTC)(?:([+-])(\d{1,2}):?(\d{2})?)?$")
# The westernmost offset in use: a date literal written there is read as no later an instant in any zone.
_WESTERNMOST = timezone(timedelta(hours=-12))


def jql_zone(tz_name: str | None) -> tzinfo | None:
    """The zone Jira reads a user's JQL dates in, or None when `/myself` gave none Python knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not tz_name:
        return None
    if fixed := _FIXED_OFFSET_ZONE.match(tz_name.strip()):
        sign, hours, minutes = fixed.groups()
        offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        return timezone(-offset if sign == "-" else offset)
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_jql_datetime(moment: datetime, tz_name: str | None) -> str:
    """A JQL date literal (`yyyy-MM-dd HH:mm`) in the Jira user's zone, which is how Jira reads it.

    When the zone is unknown the literal is written at UTC-12, the westernmost offset: Jira then reads it as
    this moment or earlier whatever the user's zone is, so an incremental read re-reads more and never misses.
    """
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    zone = jql_zone(tz_name) or _WESTERNMOST
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


ISSUES_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        ("key", pa.string()),
        ("instance_url", pa.string()),
        ("project_id", pa.string()),
        ("project_key", pa.string()),
        ("project_name", pa.string()),
        ("issue_type_id", pa.string()),
        ("issue_type_name", pa.string()),
        ("is_subtask", pa.bool_()),
        ("status_id", pa.string()),
        ("status_name", pa.string()),
        ("status_category_key", pa.string()),
        ("resolution_name", pa.string()),
        ("resolution_date", pa.timestamp("us")),
        ("created", pa.timestamp("us")),
        ("updated", pa.timestamp("us")),
        ("summary", pa.string()),
        ("labels", pa.string()),
        ("components", pa.string()),
        ("fix_versions", pa.string()),
        ("parent_id", pa.string()),
        ("parent_key", pa.string()),
        ("is_flagged", pa.bool_()),
        ("assignee_account_id", pa.string()),
        ("assignee_name", pa.string()),
        ("changelog_total", pa.int64()),
        ("changelog_loaded", pa.int64()),
    ]
)

CHANGELOG_SCHEMA = pa.schema(
    [
        pa.field("issue_id", pa.string(), nullable=False),
        pa.field("history_id", pa.string(), nullable=False),
        pa.field("item_index", pa.int64(), nullable=False),
        ("created", pa.timestamp("us")),
        ("author_account_id", pa.string()),
        ("author_name", pa.string()),
        # Part of the table's primary key (issue_id, history_id, field): never null, as dlt's key hints say.
        pa.field("field", pa.string(), nullable=False),
        ("field_id", pa.string()),
        ("from_value", pa.string()),
        ("from_string", pa.string()),
        ("to_value", pa.string()),
        ("to_string", pa.string()),
    ]
)

# `raw_jira.issue_field_values`: the values of the fields named in SOURCES__JIRA__OVERRIDE_FIELDS, one row per
# value; an issue whose field is empty gets one row with a null value (`value_index` 0), so the merge, which
# replaces an issue's rows, forgets values that were cleared.
FIELD_VALUES_SCHEMA = pa.schema(
    [
        pa.field("issue_id", pa.string(), nullable=False),
        pa.field("field_id", pa.string(), nullable=False),
        pa.field("value_index", pa.int64(), nullable=False),
        ("field_name", pa.string()),
        ("value", pa.string()),
        ("issue_updated", pa.timestamp("us")),  # the issue's `updated`: the newest read wins (see staging)
    ]
)

# `raw_jira.override_fields`: the fields SOURCES__JIRA__OVERRIDE_FIELDS named at the last run.
OVERRIDE_FIELDS_SCHEMA = pa.schema(
    [pa.field("field_id", pa.string(), nullable=False), ("field_name", pa.string())]
)


@dataclass
class FlatBatch:
    """Issues with complete changelogs, flattened for the raw tables: a batch for dlt, or one search page read
    by `typed_pages`."""

    issues: pa.Table
    changelog: pa.Table
    field_values: pa.Table
    issue_ids: list[str]
    newest_updated: datetime | None  # the newest `updated` of these issues (naive UTC)

    @property
    def size(self) -> int:
        return len(self.issue_ids)


# Summaries are for people reading findings; an enormous one must not bloat the warehouse.
MAX_SUMMARY_CHARS = 1000


def _get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


def names_json(values: Any) -> str:
    """A JSON array of names from Jira's list of strings or of `{name}` objects."""
    if not isinstance(values, list):
        return "[]"
    return orjson.dumps(
        [value if isinstance(value, str) else _get(value, "name") for value in values]
    ).decode()


def issue_row(
    issue: dict[str, Any],
    instance_url: str,
    flagged_field_id: str | None,
    loaded: int,
    epic_link_field_id: str | None = None,
) -> dict:
    """One `raw_jira.issues` row from a Jira issue payload; missing fields become nulls, never errors.

    `parent_key` is the parent's key, else (Data Center) the epic key of the "Epic Link" field.
    """
    fields = issue.get("fields") or {}
    issue_type = fields.get("issuetype") or {}
    status = fields.get("status") or {}
    project = fields.get("project") or {}
    parent = fields.get("parent") or {}
    assignee = fields.get("assignee") or {}
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories") or []
    summary = fields.get("summary")
    return {
        "id": str(issue.get("id")) if issue.get("id") is not None else None,
        "key": issue.get("key"),
        "instance_url": instance_url,
        "project_id": _get(project, "id"),
        "project_key": _get(project, "key"),
        "project_name": _get(project, "name"),
        "issue_type_id": _get(issue_type, "id"),
        "issue_type_name": _get(issue_type, "name"),
        "is_subtask": bool(_get(issue_type, "subtask")),
        "status_id": _get(status, "id"),
        "status_name": _get(status, "name"),
        "status_category_key": _get(_get(status, "statusCategory"), "key"),
        "resolution_name": _get(fields.get("resolution"), "name"),
        "resolution_date": parse_jira_timestamp(fields.get("resolutiondate")),
        "created": parse_jira_timestamp(fields.get("created")),
        "updated": parse_jira_timestamp(fields.get("updated")),
        "summary": summary[:MAX_SUMMARY_CHARS] if isinstance(summary, str) else None,
        "labels": names_json(fields.get("labels")),
        "components": names_json(fields.get("components")),
        "fix_versions": names_json(fields.get("fixVersions")),
        "parent_id": _get(parent, "id"),
        "parent_key": _get(parent, "key") or _epic_link(fields, epic_link_field_id),
        "is_flagged": bool(fields.get(flagged_field_id)) if flagged_field_id else False,
        "assignee_account_id": _get(assignee, "accountId"),
        "assignee_name": _get(assignee, "displayName"),
        "changelog_total": int(changelog.get("total", len(histories)) or 0),
        "changelog_loaded": loaded,
    }


def changelog_rows(
    issue_id: str, histories: Iterable[dict[str, Any]], flagged_field_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """The kept items of an issue's histories, one row each, in whatever order the API gave them.

    A history records one change per field; should one ever list a field twice, its first item is the
    change (`_kept_items`), so a landed history has at most one row per field.
    """
    for history_id, history in _kept_histories(issue_id, histories):
        author = history.get("author") or {}
        created = parse_jira_timestamp(history.get("created"))
        for index, item, field_name in _kept_items(issue_id, history, flagged_field_id):
            yield {
                "issue_id": issue_id,
                "history_id": history_id,
                "item_index": index,
                "created": created,
                "author_account_id": _get(author, "accountId") or _get(author, "name"),
                "author_name": _get(author, "displayName"),
                "field": field_name,
                "field_id": item.get("fieldId"),
                "from_value": text_or_none(item.get("from")),
                "from_string": text_or_none(item.get("fromString")),
                "to_value": text_or_none(item.get("to")),
                "to_string": text_or_none(item.get("toString")),
            }


def _kept_histories(
    issue_id: str, histories: Iterable[dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, history) of an issue's histories, each id once: a history without an id, or one listed again,
    is skipped with a warning. So one read of an issue lands each history once, and the raw table's merge
    needs no de-duplication when the run read each issue once (`source.ReadEnd`)."""
    seen: set[str] = set()
    for history in histories:
        raw_id = history.get("id")
        if raw_id is None:
            logger.warning("issue %s: a changelog history without an id was skipped", issue_id)
            continue
        history_id = str(raw_id)
        if history_id in seen:
            logger.warning(
                "issue %s: changelog history %s is listed twice; its first listing was kept",
                issue_id,
                history_id,
            )
            continue
        seen.add(history_id)
        yield history_id, history


def _kept_items(
    issue_id: str, history: dict[str, Any], flagged_field_id: str | None = None
) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(index, item, field) of the history's items the flow model reads: the first item of each field.

    Items are matched by name, and by identity where the item says it: a custom field named like a system
    one ("status") is not the status, and of several fields named Flagged only the one the issues' flag is
    read from counts (`flagged_field_id`), under whatever name the site gave it (it lands as `Flagged`).
    Jira writes one item per field and history. A second one would make
    two rows claim the same change, so it is skipped with a warning: staging then needs no ranking window over
    millions of changelog rows.
    """
    seen: set[str] = set()
    for index, item in enumerate(history.get("items") or []):
        field_name = kept_field_name(
            item.get("field"), item.get("fieldId"), item.get("fieldtype"), flagged_field_id
        )
        if field_name is None:
            continue
        if field_name in seen:
            logger.warning(
                "issue %s: changelog history %s lists field %r twice; its first item was kept",
                issue_id,
                history.get("id"),
                field_name,
            )
            continue
        seen.add(field_name)
        yield index, item, field_name


def kept_field_name(
    field_name: Any, field_id: Any, field_type: Any, flagged_field_id: str | None
) -> str | None:
    """The name a changelog item lands under, or None for an item of a field the flow model does not read."""
    if flagged_field_id and field_id == flagged_field_id:
        return settings.FLAGGED_FIELD_NAME
    if not isinstance(field_name, str) or field_name.lower() not in settings.CHANGELOG_FIELDS:
        return None
    if field_name.lower() == "flagged":
        # With the flag's field known, an item naming a field id is another field of that name (an app's).
        return None if flagged_field_id and field_id else field_name
    return None if field_type == "custom" else field_name


def text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows to an Arrow table of a fixed schema, so every page lands with identical column types."""
    return pa.Table.from_pylist(rows, schema=schema)


_NAIVE_UTC = pa.timestamp("us")
_AWARE_UTC = pa.timestamp("us", tz="UTC")


def timestamp_array(values: list[Any]) -> pa.Array:
    """Jira timestamps to naive UTC, as `parse_jira_timestamp` does, but parsed by Arrow in one call.

    Arrow accepts the zoned ISO forms Jira sends; if any value is something else (no zone, nanoseconds,
    empty, garbage) the whole column falls back to `parse_jira_timestamp`, so the result never differs.
    """
    try:
        return pa.array(values, pa.string()).cast(_AWARE_UTC).cast(_NAIVE_UTC)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([parse_jira_timestamp(value) for value in values], _NAIVE_UTC)


def histories_of(issue: dict[str, Any]) -> list[dict[str, Any]]:
    return (issue.get("changelog") or {}).get("histories") or []


def _epic_link(fields: dict[str, Any], epic_link_field_id: str | None) -> str | None:
    return epic_key(fields.get(epic_link_field_id) if epic_link_field_id else None)


def epic_key(value: Any) -> str | None:
    """The epic key a Data Center "Epic Link" field holds, if it holds one."""
    return value if isinstance(value, str) and value.strip() else None


def issues_table(
    issues: list[dict[str, Any]],
    instance_url: str,
    flagged_field_id: str | None,
    epic_link_field_id: str | None = None,
) -> pa.Table:
    """The `raw_jira.issues` rows of `issues` (see `issue_row`), converted to Arrow column by column."""
    rows = [
        issue_row(issue, instance_url, flagged_field_id, len(histories_of(issue)), epic_link_field_id)
        for issue in issues
    ]
    return pa.Table.from_arrays(
        [pa.array([row[field.name] for row in rows], field.type) for field in ISSUES_SCHEMA],
        schema=ISSUES_SCHEMA,
    )


def field_value_texts(value: Any) -> list[str]:
    """A field's value as the texts an override can match: a select's `value`, a user's or version's name,
    each element of a multi-value field, a number or text as itself; empty when nothing is set."""
    if value is None:
        return []
    if isinstance(value, list):
        return [text for element in value for text in field_value_texts(element)]
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if isinstance(value.get(key), str | int | float) and not isinstance(value.get(key), bool):
                return [str(value[key])]
        return []
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]  # Jira sends number fields as 5.0; people write 5
    return [str(value)] if str(value).strip() else []


def field_values_table(issues: list[dict[str, Any]], override_fields: Sequence[tuple[str, str]]) -> pa.Table:
    """The `raw_jira.issue_field_values` rows of `issues` for the (field id, field name) pairs configured."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
    for issue in issues if override_fields else ():
        fields = issue.get("fields") or {}
        issue_id = str(issue.get("id"))
        updated = parse_jira_timestamp(fields.get("updated"))
        for field_id, field_name in override_fields:
            texts: list[str | None] = list(field_value_texts(fields.get(field_id))) or [None]
            for index, text in enumerate(texts):
                row = (issue_id, field_id, index, field_name, text, updated)
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
    return pa.Table.from_arrays(
        [pa.array(values, field.type) for values, field in zip(columns, FIELD_VALUES_SCHEMA, strict=True)],
        schema=FIELD_VALUES_SCHEMA,
    )


def changelog_table(issues: list[dict[str, Any]], flagged_field_id: str | None = None) -> pa.Table:
    """The `raw_jira.changelog_items` rows of `issues`: `changelog_rows` of each, built straight into columns.

    Same rows, values and order as `to_table(changelog_rows(...))`, without a dict per row; timestamps are
    parsed once per column by `timestamp_array`.
    """
    issue_ids: list[str] = []
    history_ids: list[str] = []
    item_indexes: list[int] = []
    created: list[Any] = []
    author_ids: list[Any] = []
    author_names: list[Any] = []
    fields: list[str] = []
    field_ids: list[Any] = []
    from_values: list[str | None] = []
    from_strings: list[str | None] = []
    to_values: list[str | None] = []
    to_strings: list[str | None] = []
    for issue in issues:
        issue_id = str(issue.get("id"))
        for history_id, history in _kept_histories(issue_id, histories_of(issue)):
            author = history.get("author") or {}
            account = _get(author, "accountId") or _get(author, "name")
            author_name = _get(author, "displayName")
            moment = history.get("created")
            for index, item, field_name in _kept_items(issue_id, history, flagged_field_id):
                issue_ids.append(issue_id)
                history_ids.append(history_id)
                item_indexes.append(index)
                created.append(moment)
                author_ids.append(account)
                author_names.append(author_name)
                fields.append(field_name)
                field_ids.append(item.get("fieldId"))
                from_values.append(text_or_none(item.get("from")))
                from_strings.append(text_or_none(item.get("fromString")))
                to_values.append(text_or_none(item.get("to")))
                to_strings.append(text_or_none(item.get("toString")))
    columns = [
        pa.array(issue_ids, pa.string()),
        pa.array(history_ids, pa.string()),
        pa.array(item_indexes, pa.int64()),
        timestamp_array(created),
        *(
            pa.array(values, pa.string())
            for values in (
                author_ids,
                author_names,
                fields,
                field_ids,
                from_values,
                from_strings,
                to_values,
                to_strings,
            )
        ),
    ]
    return pa.Table.from_arrays(columns, schema=CHANGELOG_SCHEMA)


def throughput(started: float, count: int) -> float:
    elapsed = max(time.perf_counter() - started, 1e-9)
    return count / elapsed
