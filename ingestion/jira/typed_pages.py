"""The reader processes' fast path: Cloud search pages decoded straight into the fields the raw tables keep.

orjson decodes a whole search page into dicts and strings, self links, icons and descriptions included,
and the reader frees them all again once the page is flattened: decoding and freeing cost as much as the
flattening. msgspec decodes into typed records instead and skips every key they do not name; the records are
flattened into the same columns as `helpers.issues_table`, `changelog_table` and `field_values_table`.

Only a *regular* page takes this path. A value of an unexpected type, an issue without an id, a history
without an id or listed twice, a history naming a field twice, a bulk changelog answer of another shape, or no
bulk changelog endpoint: each raises `IrregularPage`, and the reader flattens that page from dicts (`pages`,
`helpers`), which handles and reports every one of those cases. On regular pages both paths give identical
tables (`tests/ingestion/test_jira_typed_pages.py`).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import pyarrow as pa

from . import settings
from .helpers import (
    CHANGELOG_SCHEMA,
    ISSUES_SCHEMA,
    MAX_SUMMARY_CHARS,
    FlatBatch,
    JiraClient,
    JiraError,
    epic_key,
    field_values_table,
    kept_field_name,
    names_json,
    parse_jira_timestamp,
    text_or_none,
    timestamp_array,
)


class IrregularPage(Exception):  # noqa: N818 (a signal to take the other path, not a failure)
    """The page needs the dict path: it holds something these records do not describe or this path does not
    handle (see the module's docstring)."""


class _Named(msgspec.Struct, gc=False):
    id: str | None = None
    key: str | None = None
    name: str | None = None


class _StatusCategory(msgspec.Struct, gc=False):
    key: str | None = None


class _Status(msgspec.Struct, gc=False, rename={"category": "statusCategory"}):
    id: str | None = None
    name: str | None = None
    category: _StatusCategory | None = None


class _IssueType(msgspec.Struct, gc=False):
    id: str | None = None
    name: str | None = None
    subtask: Any = None


class _User(msgspec.Struct, gc=False, rename={"account_id": "accountId", "display_name": "displayName"}):
    account_id: str | None = None
    display_name: str | None = None
    name: str | None = None


class _Item(
    msgspec.Struct,
    gc=False,
    rename={
        "field_id": "fieldId",
        "from_value": "from",
        "from_string": "fromString",
        "to_value": "to",
        "to_string": "toString",
    },
):
    field: Any = None
    fieldtype: Any = None
    field_id: Any = None
    from_value: Any = None
    from_string: Any = None
    to_value: Any = None
    to_string: Any = None


class _History(msgspec.Struct, gc=False):
    id: str | int | None = None
    author: _User | None = None
    created: str | None = None
    items: list[_Item] | None = None


class _Changelog(msgspec.Struct, gc=False):
    total: Any = msgspec.UNSET
    histories: list[_History] | None = None


# The `fields` keys read through a record of their own; a plan's other fields (the flag, the epic link, the
# override fields) are read as they come (`Any`), under the attribute names `TypedReader` gives them.
_RECORD_FIELDS: dict[str, Any] = {
    "issuetype": _IssueType | None,
    "status": _Status | None,
    "project": _Named | None,
    "created": str | None,
    "updated": str | None,
    "resolution": _Named | None,
    "resolutiondate": str | None,
    "assignee": _User | None,
    "parent": _Named | None,
}
_ANY_FIELDS = ("summary", "labels", "components", "fixVersions")


class TypedReader:
    """Decodes, completes and flattens regular Cloud search pages for one read plan."""

    def __init__(
        self,
        instance_url: str,
        flagged_field_id: str | None,
        epic_link_field_id: str | None = None,
        override_fields: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.instance_url = instance_url
        self.flagged_field_id = flagged_field_id
        self.epic_link_field_id = epic_link_field_id
        self.override_fields = tuple(override_fields)
        own = {flagged_field_id, epic_link_field_id, *(field_id for field_id, _ in self.override_fields)}
        own_fields = sorted(field_id for field_id in own if field_id)
        # A plan field that is one of the records' keys (an override field `status`) is read the dict way.
        self.usable = not any(field_id in _RECORD_FIELDS for field_id in own_fields)
        if not self.usable:
            return
        self._own = {
            field_id: field_id if field_id in _ANY_FIELDS else f"own_{index}"
            for index, field_id in enumerate(own_fields)
        }
        fields = msgspec.defstruct(
            "Fields",
            [
                *((name, kind, None) for name, kind in _RECORD_FIELDS.items()),
                *((name, Any, None) for name in _ANY_FIELDS),
                *((name, Any, None) for field_id, name in self._own.items() if field_id not in _ANY_FIELDS),
            ],
            rename={name: field_id for field_id, name in self._own.items()},
            gc=False,
        )
        issue = msgspec.defstruct(
            "Issue",
            [
                ("id", str | int | None, None),
                ("key", str | None, None),
                ("fields", fields | None, None),
                ("changelog", _Changelog | None, None),
            ],
            gc=False,
        )
        log = msgspec.defstruct(
            "IssueChangeLog",
            [("issueId", str | int | None, None), ("changeHistories", list[_History], [])],
            gc=False,
        )
        self._page = msgspec.json.Decoder(
            msgspec.defstruct("SearchPage", [("issues", list[issue], [])], gc=False)
        )
        self._bulk = msgspec.json.Decoder(
            msgspec.defstruct(
                "BulkChangelogPage",
                [("issueChangeLogs", list[log], []), ("nextPageToken", str | None, None)],
                gc=False,
            )
        )
        self._empty_fields = fields()

    def read(self, client: JiraClient, raw: bytes) -> FlatBatch:
        """A raw search page with its partial changelogs fetched, flattened; `IrregularPage` if irregular."""
        issues = self._decode(self._page, raw).issues
        if any(issue.id is None for issue in issues):
            raise IrregularPage("a search result without an issue id")
        fetched = self._fetch_changelogs(client, issues)
        return self._flatten(issues, fetched)

    def _decode(self, decoder: msgspec.json.Decoder, raw: bytes) -> Any:
        # Typed records are not tracked by the cycle collector, but their lists are (see `loads_without_gc`).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return decoder.decode(raw)
        # ValidationError is a DecodeError; invalid UTF-8 in a string raises UnicodeDecodeError (a
        # ValueError), and nesting deeper than msgspec's recursion allows (orjson: 1,024) a RecursionError.
        except (msgspec.DecodeError, ValueError, RecursionError) as error:
            raise IrregularPage(f"{type(error).__name__}: {error}") from None
        finally:
            if enabled:
                gc.enable()

    def _fetch_changelogs(self, client: JiraClient, issues: list[Any]) -> dict[str, list[_History]]:
        """The histories of every issue whose embedded changelog is partial (`pages._complete_changelogs`)."""
        partial = []
        for issue in issues:
            changelog = issue.changelog
            if changelog is None:
                continue
            try:
                total = int((0 if changelog.total is msgspec.UNSET else changelog.total) or 0)
            except (TypeError, ValueError):
                raise IrregularPage("a changelog total that is not a number") from None
            if total > len(changelog.histories or []):
                partial.append(str(issue.id))
        fetched: dict[str, list[_History]] = {issue_id: [] for issue_id in partial}
        for start in range(0, len(partial), settings.BULK_CHANGELOG_ISSUES):
            body: dict[str, Any] = {
                "issueIdsOrKeys": partial[start : start + settings.BULK_CHANGELOG_ISSUES],
                "maxResults": settings.BULK_CHANGELOG_PAGE_SIZE,
            }
            while True:
                try:
                    raw = client.post_raw(settings.CLOUD_BULK_CHANGELOG, body)
                except JiraError as error:
                    if "answered 404" not in str(error):
                        raise
                    self.usable = False  # no bulk endpoint: the dict path pages changelogs issue by issue
                    raise IrregularPage("no bulk changelog endpoint") from None
                page = self._decode(self._bulk, raw)
                for log in page.issueChangeLogs:
                    fetched.setdefault(str(log.issueId), []).extend(log.changeHistories)
                if not page.nextPageToken:
                    break
                body = {**body, "nextPageToken": page.nextPageToken}
        return fetched

    def _flatten(self, issues: list[Any], fetched: dict[str, list[_History]]) -> FlatBatch:
        issue_columns: dict[str, list[Any]] = {field.name: [] for field in ISSUES_SCHEMA}
        changelog_columns: list[list[Any]] = [[] for _ in CHANGELOG_SCHEMA]
        issue_ids: list[str] = []
        newest: datetime | None = None
        for issue in issues:
            issue_id = str(issue.id)
            histories = _histories(issue, fetched.get(issue_id))
            fields = issue.fields or self._empty_fields
            updated = parse_jira_timestamp(fields.updated)
            if updated is not None and (newest is None or updated > newest):
                newest = updated
            self._issue_row(issue, issue_id, fields, updated, histories, issue_columns)
            self._changelog_rows(issue_id, histories, changelog_columns)
            issue_ids.append(issue_id)
        return FlatBatch(
            issues=pa.Table.from_arrays(
                [pa.array(issue_columns[field.name], field.type) for field in ISSUES_SCHEMA],
                schema=ISSUES_SCHEMA,
            ),
            changelog=pa.Table.from_arrays(
                [
                    timestamp_array(values) if field.name == "created" else pa.array(values, field.type)
                    for values, field in zip(changelog_columns, CHANGELOG_SCHEMA, strict=True)
                ],
                schema=CHANGELOG_SCHEMA,
            ),
            field_values=self._field_values(issues, issue_ids),
            issue_ids=issue_ids,
            newest_updated=newest,
        )

    def _issue_row(
        self,
        issue: Any,
        issue_id: str,
        fields: Any,
        updated: datetime | None,
        histories: list[_History],
        columns: dict[str, list[Any]],
    ) -> None:
        """`helpers.issue_row`, from the records."""
        issue_type, status, project = fields.issuetype, fields.status, fields.project
        parent, assignee, resolution = fields.parent, fields.assignee, fields.resolution
        changelog = issue.changelog
        total = len(histories) if changelog is None or changelog.total is msgspec.UNSET else changelog.total
        summary = fields.summary
        own = self._own_value
        row = (
            ("id", issue_id),
            ("key", issue.key),
            ("instance_url", self.instance_url),
            ("project_id", project and project.id),
            ("project_key", project and project.key),
            ("project_name", project and project.name),
            ("issue_type_id", issue_type and issue_type.id),
            ("issue_type_name", issue_type and issue_type.name),
            ("is_subtask", bool(issue_type and issue_type.subtask)),
            ("status_id", status and status.id),
            ("status_name", status and status.name),
            ("status_category_key", status and status.category and status.category.key),
            ("resolution_name", resolution and resolution.name),
            ("resolution_date", parse_jira_timestamp(fields.resolutiondate)),
            ("created", parse_jira_timestamp(fields.created)),
            ("updated", updated),
            ("summary", summary[:MAX_SUMMARY_CHARS] if isinstance(summary, str) else None),
            ("labels", names_json(fields.labels)),
            ("components", names_json(fields.components)),
            ("fix_versions", names_json(fields.fixVersions)),
            ("parent_id", parent and parent.id),
            ("parent_key", (parent and parent.key) or epic_key(own(fields, self.epic_link_field_id))),
            ("is_flagged", bool(own(fields, self.flagged_field_id))),
            ("assignee_account_id", assignee and assignee.account_id),
            ("assignee_name", assignee and assignee.display_name),
            ("changelog_total", _count(total)),
            ("changelog_loaded", len(histories)),
        )
        for name, value in row:
            columns[name].append(value)

    def _own_value(self, fields: Any, field_id: str | None) -> Any:
        return getattr(fields, self._own[field_id]) if field_id else None

    def _changelog_rows(self, issue_id: str, histories: list[_History], columns: list[list[Any]]) -> None:
        """`helpers.changelog_rows`, from the records; an irregular history raises `IrregularPage`."""
        (issue_ids, history_ids, indexes, created, author_ids, author_names, names, field_ids, from_values,
         from_strings, to_values, to_strings) = columns  # fmt: skip
        seen_histories: set[str] = set()
        for history in histories:
            if history.id is None:
                raise IrregularPage("a changelog history without an id")
            history_id = str(history.id)
            if history_id in seen_histories:
                raise IrregularPage("a changelog history listed twice")
            seen_histories.add(history_id)
            author = history.author
            account = author and (author.account_id or author.name)
            author_name = author and author.display_name
            seen_fields: set[str] = set()
            for index, item in enumerate(history.items or ()):
                name = kept_field_name(item.field, item.field_id, item.fieldtype, self.flagged_field_id)
                if name is None:
                    continue
                if name in seen_fields:
                    raise IrregularPage("a changelog history naming a field twice")
                seen_fields.add(name)
                issue_ids.append(issue_id)
                history_ids.append(history_id)
                indexes.append(index)
                created.append(history.created)
                author_ids.append(account)
                author_names.append(author_name)
                names.append(name)
                field_ids.append(item.field_id)
                from_values.append(text_or_none(item.from_value))
                from_strings.append(text_or_none(item.from_string))
                to_values.append(text_or_none(item.to_value))
                to_strings.append(text_or_none(item.to_string))

    def _field_values(self, issues: list[Any], issue_ids: list[str]) -> pa.Table:
        """`helpers.field_values_table` of the override fields, which it reads from a dict per issue."""
        return field_values_table(
            [
                {
                    "id": issue_id,
                    "fields": {
                        "updated": (issue.fields or self._empty_fields).updated,
                        **{
                            field_id: self._own_value(issue.fields or self._empty_fields, field_id)
                            for field_id, _ in self.override_fields
                        },
                    },
                }
                for issue, issue_id in zip(issues, issue_ids, strict=True)
            ]
            if self.override_fields
            else [],
            self.override_fields,
        )


def _histories(issue: Any, fetched: list[_History] | None) -> list[_History]:
    """The issue's histories with the fetched ones, each id once (`pages._merge_histories`)."""
    embedded = (issue.changelog.histories if issue.changelog is not None else None) or []
    if fetched is None:
        return embedded
    by_id = {str(history.id): history for history in embedded}
    for history in fetched:
        by_id[str(history.id)] = history
    return list(by_id.values())


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise IrregularPage("a changelog total that is not a number") from None
