"""The readers' typed path lands exactly what the dict path lands, and hands every irregular page to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from ingestion.demo import DemoOrganisation
from ingestion.demo.server import DemoTracker
from ingestion.jira import settings
from ingestion.jira.helpers import JiraAuthError, JiraError
from ingestion.jira.pages import JiraSettings, ReadPlan, _Batcher, _completed_pages, _Instance
from ingestion.jira.typed_pages import IrregularPage, TypedReader

from .jira_mock import history, issue, status_item

FLAGGED = "customfield_10021"
URL = "https://jira.test"


class _TrackerClient:
    """A JiraClient stand-in that asks the demo tracker directly, without HTTP."""

    def __init__(
        self, tracker: DemoTracker | None = None, bulk: bool = True, bulk_error: Exception | None = None
    ) -> None:
        self.tracker = tracker
        self.bulk = bulk
        self.bulk_error = bulk_error
        self.bulk_requests = 0

    def _answer(self, method: str, path: str, params: dict[str, Any] | None, body: Any) -> bytes:
        if path == settings.CLOUD_BULK_CHANGELOG:
            self.bulk_requests += 1
            if self.bulk_error is not None:
                raise self.bulk_error
            if not self.bulk or self.tracker is None:
                raise JiraError(f"{method} {path} answered 404: not here")
        assert self.tracker is not None
        response = self.tracker.dispatch(method, path + ("?" + urlencode(params) if params else ""), body)
        assert response.status == 200, response.body
        return orjson.dumps(response.body)

    def get(self, path: str, **params: Any) -> Any:
        return orjson.loads(self._answer("GET", path, params, None))

    def post(self, path: str, body: Any) -> Any:
        return orjson.loads(self._answer("POST", path, None, body))

    def post_raw(self, path: str, body: Any) -> bytes:
        return self._answer("POST", path, None, body)


def _search_pages(tracker: DemoTracker) -> list[bytes]:
    """Every raw Cloud search page of the demo organisation, 100 issues each, with embedded changelogs."""
    client, pages, token = _TrackerClient(tracker), [], None
    while True:
        params = {"jql": "order by key", "maxResults": 100, "expand": "changelog"}
        raw = client._answer(
            "GET", settings.CLOUD_SEARCH, {**params, **({"nextPageToken": token} if token else {})}, None
        )
        pages.append(raw)
        page = orjson.loads(raw)
        if page.get("isLast") or not page.get("nextPageToken"):
            return pages
        token = page["nextPageToken"]


def _plan(override_fields: tuple[tuple[str, str], ...] = (), epic_link: str | None = None) -> ReadPlan:
    config = JiraSettings(base_url=URL, email="ann@example.com", api_token="t")
    return ReadPlan(config, "3", True, None, FLAGGED, "order by key", URL, override_fields, epic_link)


def _dict_path(plan: ReadPlan, client: _TrackerClient, raw: bytes) -> Any:
    """The page as the readers flatten it from dicts: changelogs completed, then one batch."""
    instance = _Instance(client, "3", True, None, FLAGGED, plan.override_fields, plan.epic_link_field_id)  # type: ignore[arg-type]
    batcher = _Batcher(plan)
    for issues, fetched in _completed_pages(instance, [orjson.loads(raw)["issues"]]):
        batcher.add(issues, fetched)
    return batcher.finish()


def _typed_reader(plan: ReadPlan) -> TypedReader:
    return TypedReader(
        plan.instance_url, plan.flagged_field_id, plan.epic_link_field_id, plan.override_fields
    )


@pytest.mark.parametrize("override_fields", [(), (("labels", "Labels"), (FLAGGED, "Flagged"))])
def test_the_typed_path_lands_the_rows_of_the_dict_path(override_fields: tuple[tuple[str, str], ...]) -> None:
    # Three pages of demo issues: +05:30 timestamps, flags, labels and components, and issues with more than
    # the 20 histories a search embeds (one with over 100), completed through the bulk changelog.
    tracker = DemoTracker(DemoOrganisation(seed=3, issues=300, utc_offset_minutes=330))
    plan = _plan(override_fields)
    client = _TrackerClient(tracker)
    reader = _typed_reader(plan)
    pages = _search_pages(tracker)
    assert len(pages) == 3
    for raw in pages:
        typed, by_dicts = reader.read(client, raw), _dict_path(plan, client, raw)
        assert typed.issues.equals(by_dicts.issues)
        assert typed.changelog.equals(by_dicts.changelog)
        assert typed.field_values.equals(by_dicts.field_values)
        assert (typed.issue_ids, typed.newest_updated) == (by_dicts.issue_ids, by_dicts.newest_updated)
    assert client.bulk_requests > 0, "some issues needed the bulk changelog"
    assert reader.usable


def _page(*issues: dict[str, Any]) -> bytes:
    return orjson.dumps({"issues": list(issues), "isLast": True})


def _assert_same_rows(plan: ReadPlan, raw: bytes) -> None:
    typed, by_dicts = _typed_reader(plan).read(_TrackerClient(), raw), _dict_path(plan, _TrackerClient(), raw)
    assert typed.issues.equals(by_dicts.issues)
    assert typed.changelog.equals(by_dicts.changelog)
    assert typed.field_values.equals(by_dicts.field_values)
    assert (typed.issue_ids, typed.newest_updated) == (by_dicts.issue_ids, by_dicts.newest_updated)


def _change(history_id: int) -> dict[str, Any]:
    return history(history_id, "2026-01-06T10:00:00.000+0800", status_item("1", "To Do", "2", "进行中"))


def _with(changed: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**changed, "fields": {**changed["fields"], **fields}}


_REGULAR = issue("1", "PAY-1", [_change(11), _change(10)])
_IRREGULAR = {
    "a status that is not an object": _with(_REGULAR, status="Done"),
    "an issue without an id": {key: value for key, value in _REGULAR.items() if key != "id"},
    "a history without an id": issue("1", "PAY-1", [{**_change(11), "id": None}]),
    "a history listed twice": issue("1", "PAY-1", [_change(11), _change(11)]),
    "a field named twice in one history": issue(
        "1",
        "PAY-1",
        [
            history(
                11,
                "2026-01-06T10:00:00.000+0000",
                status_item("1", "a", "2", "b"),
                status_item("2", "b", "3", "c"),
            )
        ],
    ),
}


@pytest.mark.parametrize("irregular", list(_IRREGULAR))
def test_an_irregular_page_is_left_to_the_dict_path(irregular: str) -> None:
    reader = _typed_reader(_plan())
    assert reader.read(_TrackerClient(), _page(_REGULAR)).issue_ids == ["1"]
    with pytest.raises(IrregularPage):
        reader.read(_TrackerClient(), _page(_REGULAR, _IRREGULAR[irregular]))
    assert reader.usable, "the next page is read the typed way again"


def test_without_a_bulk_changelog_endpoint_every_page_is_left_to_the_dict_path() -> None:
    # The dict path pages such changelogs issue by issue (`pages._complete_changelogs`).
    partial = issue("1", "PAY-1", [_change(11), _change(10)], total=30)
    reader = _typed_reader(_plan())
    client = _TrackerClient(bulk=False)
    with pytest.raises(IrregularPage):
        reader.read(client, _page(partial))
    assert not reader.usable
    assert client.bulk_requests == 1


def test_a_plan_field_that_is_a_typed_key_leaves_the_whole_read_to_the_dict_path() -> None:
    assert not _typed_reader(_plan((("status", "Status"),))).usable
    assert _typed_reader(_plan((("labels", "Labels"),))).usable


def test_odd_but_regular_shapes_land_the_rows_of_the_dict_path() -> None:
    # Data Center's epic link, a flag that is set, an author known only by name or not at all, a parent
    # without a key, a status without a category, a total that is a string, null or missing.
    epic_link = "customfield_10014"
    plain = issue("1", "PAY-1", [_change(11), {**_change(10), "author": {"name": "ann"}}])
    odd = [
        _with(
            plain,
            **{epic_link: "PAY-9", FLAGGED: [{"value": "Impediment"}], "parent": {"id": "7"}, "own_4": 5.0},
        ),
        {**_with(plain, status={"id": "3", "name": "Done"}, summary=12), "id": 2},
        {**plain, "id": "3", "changelog": {"total": "1", "histories": [{**_change(12), "author": {}}]}},
        {**plain, "id": "4", "changelog": {"total": None, "histories": None}},
        {"id": "5", "key": "PAY-5", "fields": None, "changelog": None},
        {"id": "6", "key": "PAY-6", "fields": {}},
    ]
    # `own_4` is the name the typed records give the fifth of the plan's own fields (sorted), here itself.
    overrides = (("customfield_1", "Team"), ("own_4", "Odd id"), ("labels", "Labels"))
    _assert_same_rows(_plan(overrides, epic_link), _page(*odd))


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_page(_REGULAR)[:-5], id="a body cut short"),
        pytest.param(_page(_REGULAR).replace(b'"PAY-1"', b'"PAY-1\xc3"'), id="invalid UTF-8"),
        pytest.param(
            _page(_with(_REGULAR, customfield_5=[[]])).replace(b"[[]]", b"[" * 2000 + b"]" * 2000),
            id="nested 2,000 deep",
        ),
    ],
)
def test_a_body_msgspec_cannot_read_is_left_to_the_dict_path(raw: bytes) -> None:
    # The dict path asks for a broken page again; orjson decodes nesting up to 1,024 levels.
    with pytest.raises(IrregularPage):
        _typed_reader(_plan()).read(_TrackerClient(), raw)


def test_a_rejected_credential_on_the_bulk_changelog_is_raised_not_read_the_other_way() -> None:
    partial = issue("1", "PAY-1", [_change(11), _change(10)], total=30)
    client = _TrackerClient(bulk_error=JiraAuthError("Jira answered 401: check SOURCES__JIRA__API_TOKEN"))
    with pytest.raises(JiraAuthError):
        _typed_reader(_plan()).read(client, _page(partial))


def test_an_empty_page_adds_nothing_to_a_readers_batch() -> None:
    batcher = _Batcher(_plan(), empty_batch=False)
    assert batcher.add_page(_typed_reader(_plan()).read(_TrackerClient(), _page())) is None
    assert batcher.finish() is None  # the main process lands an empty search's tables
