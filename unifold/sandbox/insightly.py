"""Insightly API v3.1 Projects emulator."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from unifold.sandbox._base import Abort, Request, Route, SandboxProvider, SandboxResponse
from unifold.sandbox._common import (
    FixedWindow,
    basic_credentials,
    empty_response,
    int_arg,
    is_int,
    json_response,
    parse_strptime,
    route,
)

# Seed data (the emulator contract, `SandboxProvider`): the sandbox account's credentials, the
# seeded projects' ids (the first is the richest), the related records by kind, and a
# well-formed project id no seed has.
CREDENTIALS: dict[str, str] = {"api_key": "sandbox-insightly-key"}
PROJECT_IDS: tuple[str, ...] = ("1657941", "1657942", "1657943")
REFERENCES: dict[str, tuple[str, ...]] = {
    "users": ("607181", "607182", "607183"),
    "categories": ("3001", "3002"),
    "opportunities": ("4070113", "4070114"),
    "organisations": ("35343476", "35343477"),
    "contacts": ("70653013", "70653014"),
    "pipelines": ("4001",),
    "pipeline_stages": ("5001", "5002", "5003"),
    "custom_fields": ("Budget__c", "Region__c", "Kickoff__c"),
}
UNKNOWN_PROJECT_ID = "99999"

Json = dict[str, Any]
_TS = "%Y-%m-%d %H:%M:%S"
_STATUSES = ("NOT STARTED", "IN PROGRESS", "DEFERRED", "CANCELLED", "ABANDONED", "COMPLETED")
# PUT-writable per api.na1.insightly.com/v3.1/swagger/docs/v3.1; everything else is ignored.
_WRITABLE = (
    "PROJECT_NAME",
    "STATUS",
    "PROJECT_DETAILS",
    "STARTED_DATE",
    "COMPLETED_DATE",
    "CATEGORY_ID",
    "IMAGE_URL",
    "OWNER_USER_ID",
    "RESPONSIBLE_USER_ID",
    "CUSTOMFIELDS",
)
_API_USER = 607181  # the user the sandbox API key belongs to


def _ts(moment: datetime) -> str:
    return moment.strftime(_TS)


class _Bad(Exception):
    pass


class InsightlySandbox(SandboxProvider):
    integration = "insightly"
    base_path = "/v3.1"
    credentials = CREDENTIALS
    seed_project_ids = PROJECT_IDS
    seed_references = REFERENCES
    unknown_project_id = UNKNOWN_PROJECT_ID

    def __init__(self) -> None:
        super().__init__()
        # Daily quota; a tenant sent x-ratelimit-limit: 100000 (probe: lukeswade/insightly-mcp).
        self._window = FixedWindow(100_000, 86_400)
        self._users = {607181, 607182, 607183}
        self._categories = {3001, 3002}
        # GET /CustomFields/Projects rows: APICustomFieldMetadata of the v3.1 swagger (https://api.insightly.com/v3.1/swagger).
        self._definitions = [
            _definition(1, "Budget__c", "Budget", "NUMERIC"),
            _definition(2, "Region__c", "Region", "DROPDOWN", ["EMEA", "APAC", "AMER"]),
            _definition(3, "Kickoff__c", "Kickoff", "DATE"),
        ]
        self._custom_fields: set[str] = {d["FIELD_NAME"] for d in self._definitions}
        self._projects: dict[int, Json] = {}
        self._next_id = 1657944
        self._next_link = 51931100
        self._seed()

    def _seed(self) -> None:
        created = "2024-01-08 09:30:00"
        self._projects[1657941] = self._record(
            1657941,
            PROJECT_NAME="Website rebuild",
            STATUS="IN PROGRESS",
            PROJECT_DETAILS="Rebuild the public website",
            STARTED_DATE="2024-01-15 00:00:00",
            OPPORTUNITY_ID=4070113,
            CATEGORY_ID=3001,
            PIPELINE_ID=4001,
            STAGE_ID=5002,
            RESPONSIBLE_USER_ID=607182,
            DATE_CREATED_UTC=created,
            DATE_UPDATED_UTC="2024-02-01 12:00:00",
            LAST_ACTIVITY_DATE_UTC="2024-01-30 15:00:00",
            CUSTOMFIELDS=[
                {"FIELD_NAME": "Budget__c", "FIELD_VALUE": 12000},
                {"FIELD_NAME": "Region__c", "FIELD_VALUE": "EMEA"},
            ],
            TAGS=[{"TAG_NAME": "Priority"}],
            LINKS=[self._link(1657941, "Organisation", 35343476, None)],
        )
        self._projects[1657942] = self._record(
            1657942,
            PROJECT_NAME="CRM migration",
            STATUS="NOT STARTED",
            OWNER_USER_ID=607182,
            DATE_CREATED_UTC=created,
            DATE_UPDATED_UTC=created,
        )
        self._projects[1657943] = self._record(
            1657943,
            PROJECT_NAME="Support onboarding",
            STATUS="COMPLETED",
            PROJECT_DETAILS="Closed onboarding project",
            STARTED_DATE="2023-11-01 00:00:00",
            COMPLETED_DATE="2024-01-31 00:00:00",
            OPPORTUNITY_ID=4070114,
            CATEGORY_ID=3002,
            DATE_CREATED_UTC=created,
            DATE_UPDATED_UTC="2024-01-31 17:00:00",
            LINKS=[
                self._link(1657943, "Contact", 70653013, None),
                self._link(1657943, "Opportunity", 4070114, "Converted Opportunity"),
            ],
        )

    def _record(self, project_id: int, **values: Any) -> Json:
        record: Json = {
            "PROJECT_ID": project_id,
            "PROJECT_NAME": None,
            "STATUS": "NOT STARTED",
            "PROJECT_DETAILS": None,
            "STARTED_DATE": None,
            "COMPLETED_DATE": None,
            "OPPORTUNITY_ID": None,
            "CATEGORY_ID": None,
            "PIPELINE_ID": None,
            "STAGE_ID": None,
            "IMAGE_URL": None,
            "OWNER_USER_ID": _API_USER,
            "DATE_CREATED_UTC": None,
            "DATE_UPDATED_UTC": None,
            "LAST_ACTIVITY_DATE_UTC": None,
            "NEXT_ACTIVITY_DATE_UTC": None,
            "CREATED_USER_ID": _API_USER,
            "RESPONSIBLE_USER_ID": None,
            "CUSTOMFIELDS": [],
            "TAGS": [],
            "LINKS": [],
        }
        record.update(values)
        return record

    def _link(self, project_id: int, kind: str, object_id: int, role: str | None) -> Json:
        # v3.x generic link shape (APILinkDto in api.na1.insightly.com/v3.1/swagger/docs/v3.1).
        self._next_link += 1
        return {
            "LINK_ID": self._next_link,
            "OBJECT_NAME": "Project",
            "OBJECT_ID": project_id,
            "LINK_OBJECT_NAME": kind,
            "LINK_OBJECT_ID": object_id,
            "ROLE": role,
            "DETAILS": None,
            "RELATIONSHIP_ID": None,
            "IS_FORWARD": None,
        }

    # ------------------------------------------------------------------ provider hooks

    def _build_routes(self) -> list[Route]:
        # [?] undocumented: paths match case-insensitively, as ASP.NET routing does.
        i = re.IGNORECASE
        return [
            route("GET", r"/projects", self._list, i),
            route("GET", r"/projects/search", self._search, i),
            route("GET", r"/customfields/projects", self._definitions_list, i),
            route("POST", r"/projects", self._create, i),
            route("PUT", r"/projects", self._update, i),
            route("GET", r"/projects/(?P<id>[^/]+)", self._get, i),
            route("DELETE", r"/projects/(?P<id>[^/]+)", self._delete, i),
        ]

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        creds = basic_credentials(headers)
        # The API key is the user name, the password blank or ignored (Insightly KB article 1447).
        return creds is not None and creds[0] == self.credentials["api_key"]

    def _error(self, status: int, message: str) -> SandboxResponse:
        # [?] undocumented: the v3.1 spec declares no error body; we send {"Message"}.
        headers = []
        if status == 401:
            headers.append(("WWW-Authenticate", 'Basic realm="Insightly"'))
            message = "Authentication failed"
        elif status == 404 and message == "Not found":
            message = "No HTTP resource was found that matches the request URI"
        return json_response(status, {"Message": message}, headers)

    def _count_request(self) -> bool:
        return self._window.hit(self.clock())

    def _rate_limit_headers(self) -> list[tuple[str, str]]:
        # Only these two headers are documented (support.insight.ly/en-us/Knowledge/article/1447).
        return [
            ("X-RateLimit-Limit", str(self._window.limit)),
            ("X-RateLimit-Remaining", str(self._window.remaining)),
        ]

    # ------------------------------------------------------------------ handlers

    def _not_found(self) -> Abort:
        return Abort(json_response(404, {"Message": "Record not found"}))

    def _find(self, raw_id: Any) -> Json:
        if isinstance(raw_id, str) and raw_id.isdigit():
            raw_id = int(raw_id)
        if not is_int(raw_id) or raw_id not in self._projects:
            raise self._not_found()
        return self._projects[raw_id]

    @staticmethod
    def _render(record: Json, brief: bool) -> Json:
        out = copy.deepcopy(record)
        if brief:
            # brief=true leaves out the sub-collections (v3.1 spec, api.insightly.com/v3.1/Help).
            for key in ("CUSTOMFIELDS", "TAGS", "LINKS"):
                out.pop(key, None)
        return out

    def _list(self, request: Request) -> SandboxResponse:
        return self._page(request, [self._projects[k] for k in sorted(self._projects)])

    def _page(self, request: Request, records: list[Json]) -> SandboxResponse:
        skip = int_arg(request.arg("skip"), 0)
        top = int_arg(request.arg("top"), 100)
        if skip is None or top is None or top > 500:
            # Default 100, max 500 (probe: lukeswade/insightly-mcp); [?] over it we answer 400.
            return json_response(400, {"Message": "skip/top must be integers, top at most 500"})
        brief = (request.arg("brief") or "").lower() == "true"
        body = [self._render(r, brief) for r in records[skip : skip + top]]
        headers = []
        if (request.arg("count_total") or "").lower() == "true":
            headers.append(("X-Total-Count", str(len(records))))
        return json_response(200, body, headers)

    def _definitions_list(self, request: Request) -> SandboxResponse:
        return json_response(200, copy.deepcopy(self._definitions))

    def _search(self, request: Request) -> SandboxResponse:
        """`GET /Projects/Search`: field_name/field_value (exact), updated_after_utc, brief,
        skip/top, count_total (v3.1 spec, Projects/Search)."""
        records = [self._projects[k] for k in sorted(self._projects)]
        if since_text := request.arg("updated_after_utc"):
            since = _instant(since_text)
            if since is None:
                return json_response(400, {"Message": "updated_after_utc must be a date-time"})
            # [?] whether the bound is inclusive is undocumented; we keep records at or after it.
            records = [r for r in records if (_instant(r["DATE_UPDATED_UTC"]) or since) >= since]
        name, value = request.arg("field_name"), request.arg("field_value")
        # [?] the spec says both must be given; a field_name alone is undocumented (we match "").
        if name:
            records = [r for r in records if str(r.get(name)) == (value or "")]
        return self._page(request, records)

    def _get(self, request: Request) -> SandboxResponse:
        record = self._find(request.params["id"])
        brief = (request.arg("brief") or "").lower() == "true"
        return json_response(200, self._render(record, brief), [("ETag", _etag(record))])

    def _create(self, request: Request) -> SandboxResponse:
        data = request.json
        if not isinstance(data, dict):
            return json_response(400, {"Message": "Request body must be a Project object"})
        for required in ("PROJECT_NAME", "STATUS"):
            if data.get(required) is None:
                return json_response(400, {"Message": f"{required} is required"})
        project_id = self._next_id
        now = _ts(self.now())
        record = self._record(project_id, DATE_CREATED_UTC=now, DATE_UPDATED_UTC=now)
        try:
            self._apply(record, data)
            record["TAGS"] = self._tags(data.get("TAGS"))
        except _Bad as exc:
            return json_response(400, {"Message": str(exc)})
        self._next_id += 1
        self._projects[project_id] = record
        location = f"{request.origin}{request.prefix}/Projects/{project_id}"
        return json_response(201, copy.deepcopy(record), [("Location", location)])

    def _update(self, request: Request) -> SandboxResponse:
        data = request.json
        if not isinstance(data, dict) or "PROJECT_ID" not in data:
            return json_response(400, {"Message": "PROJECT_ID is required"})
        if not is_int(data["PROJECT_ID"]):
            return json_response(400, {"Message": "PROJECT_ID must be an integer"})
        # [?] an unknown PROJECT_ID on PUT is undocumented; we answer 404.
        record = copy.deepcopy(self._find(data["PROJECT_ID"]))
        wanted = request.headers.get("if-match")
        if wanted is not None and wanted != _etag(record):
            # A stale tag is a 400, not 412 (live probes, lukeswade/insightly-mcp API-AUDIT.md).
            return json_response(400, {"Message": f"If-Match header value {wanted} is not valid."})
        try:
            self._apply(record, data)
        except _Bad as exc:
            return json_response(400, {"Message": str(exc)})
        record["DATE_UPDATED_UTC"] = _ts(self.now())
        self._projects[record["PROJECT_ID"]] = record
        # The spec says 201 but a live probe saw 200 (lukeswade/insightly-mcp API-AUDIT.md).
        return json_response(200, copy.deepcopy(record), [("ETag", _etag(record))])

    def _delete(self, request: Request) -> SandboxResponse:
        record = self._find(request.params["id"])
        del self._projects[record["PROJECT_ID"]]
        return empty_response(202)

    # ------------------------------------------------------------------ validation

    def _apply(self, record: Json, data: Json) -> None:
        for key in _WRITABLE:
            if key in data:
                record[key] = self._check(key, data[key])

    def _check(self, key: str, value: Any) -> Any:
        if key == "PROJECT_NAME":
            if not isinstance(value, str) or not value.strip() or len(value) > 255:
                raise _Bad("PROJECT_NAME is required and must be at most 255 characters")
        elif key == "STATUS":
            # [?] whether mixed case is accepted is undocumented; we require the upper-case form.
            if value not in _STATUSES:
                raise _Bad(f"STATUS must be one of {', '.join(_STATUSES)}")
        elif key in ("PROJECT_DETAILS", "IMAGE_URL"):
            limit = 4000 if key == "PROJECT_DETAILS" else 255
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise _Bad(f"{key} must be a string of at most {limit} characters")
        elif key in ("STARTED_DATE", "COMPLETED_DATE"):
            # Bodies: yyyy-MM-dd HH:mm:ss; else "a common 400" (probe: lukeswade/insightly-mcp).
            if value is not None and parse_strptime(value, _TS) is None:
                raise _Bad(f"{key} must use the format yyyy-MM-dd HH:mm:ss")
        elif key == "CATEGORY_ID":
            if value is not None and value not in self._categories:
                raise _Bad("CATEGORY_ID does not exist")
        elif key in ("OWNER_USER_ID", "RESPONSIBLE_USER_ID"):
            if value is None and key == "RESPONSIBLE_USER_ID":
                return None
            # [?] undocumented: OWNER_USER_ID cannot be cleared; unknown users are a 400.
            if not is_int(value) or value not in self._users:
                raise _Bad(f"{key} does not reference a user")
        elif key == "CUSTOMFIELDS":
            return self._custom_fields_value(value)
        return value

    def _custom_fields_value(self, value: Any) -> list[Json]:
        # [I] inferred, undocumented: a CUSTOMFIELDS array replaces the whole collection.
        if value is None:
            return []
        if not isinstance(value, list):
            raise _Bad("CUSTOMFIELDS must be an array")
        result: dict[str, Json] = {}
        for item in value:
            name = item.get("FIELD_NAME") if isinstance(item, dict) else None
            if not isinstance(name, str) or name not in self._custom_fields:
                raise _Bad(f"Unknown custom field {name!r}")
            result[name] = {"FIELD_NAME": name, "FIELD_VALUE": item.get("FIELD_VALUE")}
        return list(result.values())

    @staticmethod
    def _tags(value: Any) -> list[Json]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(t, dict) and isinstance(t.get("TAG_NAME"), str) for t in value
        ):
            raise _Bad("TAGS must be an array of {TAG_NAME}")
        return [{"TAG_NAME": t["TAG_NAME"]} for t in value]

    # ------------------------------------------------------------------ bench helper

    def put_project(self, raw: dict[str, Any]) -> str:
        with self._lock:
            values = copy.deepcopy(raw)
            project_id = values.pop("PROJECT_ID", None)
            if not is_int(project_id):
                project_id = self._next_id
            self._next_id = max(self._next_id, project_id + 1)
            stamp = _ts(self.now())
            values.setdefault("PROJECT_NAME", f"Project {project_id}")
            values.setdefault("DATE_CREATED_UTC", stamp)
            values.setdefault("DATE_UPDATED_UTC", stamp)
            self._projects[project_id] = self._record(project_id, **values)
            return str(project_id)


def _instant(text: Any) -> datetime | None:
    """`2024-02-01 12:00:00` (UTC, response bodies) or ISO 8601 with an offset or Z."""
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _etag(record: Json) -> str:
    """[?] the tag's format is not documented; any change of the record changes it."""
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode())
    return f'"{digest.hexdigest()[:16]}"'


def _definition(
    order: int, name: str, label: str, kind: str, options: list[str] | None = None
) -> Json:
    return {
        "FIELD_NAME": name,
        "FIELD_ORDER": order,
        "FIELD_LABEL": label,
        "FIELD_TYPE": kind,
        "FIELD_FOR": "PROJECT",
        "FIELD_HELP_TEXT": None,
        "DEFAULT_VALUE": None,
        "EDITABLE": True,
        "VISIBLE": True,
        "CUSTOM_FIELD_OPTIONS": [
            {"OPTION_ID": index + 1, "OPTION_VALUE": value, "OPTION_DEFAULT": False}
            for index, value in enumerate(options or [])
        ],
    }


SANDBOX = InsightlySandbox
"""The emulator class `create_provider("insightly")` instantiates."""
