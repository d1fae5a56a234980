"""Pipeliner CRM (API v100) Projects emulator."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from unifold.sandbox._base import Abort, Request, Route, SandboxProvider, SandboxResponse
from unifold.sandbox._common import (
    UUID_RE,
    basic_credentials,
    is_int,
    is_number,
    json_response,
    parse_ymd,
    route,
)
from unifold.sandbox._seeds import uuid_id as _uuid

# Pipeliner: any space id matching ^[A-Za-z0-9_-]{1,64}$ is accepted; this one is used in examples.
PIPELINER_SPACE = "nv3_PipelinerDev"  # the matrix example, so sandbox accounts use it

# Seed data (the emulator contract, `SandboxProvider`): the sandbox account's credentials, the
# seeded projects' ids (the first is the richest), the related records by kind, and a
# well-formed project id no seed has.
CREDENTIALS: dict[str, str] = {
    "username": "sandbox-pipeliner-user",
    "password": "sandbox-pipeliner-secret",
}
PROJECT_IDS: tuple[str, ...] = (_uuid("a0", 1), _uuid("a0", 2), _uuid("a0", 3))
REFERENCES: dict[str, tuple[str, ...]] = {
    "spaces": (PIPELINER_SPACE,),
    "clients": (_uuid("c0", 1), _uuid("c0", 2), _uuid("c0", 3)),
    "accounts": (_uuid("ac", 1), _uuid("ac", 2)),
    "contacts": (_uuid("c7", 1), _uuid("c7", 2), _uuid("c7", 3)),
    "sales_units": (_uuid("50", 1), _uuid("50", 2)),
    "project_types": (_uuid("70", 1), _uuid("70", 2)),
    "currencies": (_uuid("cc", 1), _uuid("cc", 2)),
    "currency_exchange_rates_lists": (_uuid("ce", 1),),
}
UNKNOWN_PROJECT_ID = "a0000000-0000-4000-8000-0000000000ff"

Json = dict[str, Any]
_BASE_RE = re.compile(
    r"(?P<prefix>/api/v100/rest/spaces/(?P<space_id>[A-Za-z0-9_-]{1,64}))(?P<rest>/.*)?"
)
_REFS = REFERENCES
# The properties of the published schema's updateProjectInput; flat "cf_" keys are also accepted.
_WRITABLE = frozenset(
    {
        "account_id",
        "currency_exchange_rates_list_id",
        "description",
        "end_date",
        "name",
        "owner_id",
        "project_type_id",
        "share_mode",
        "start_date",
        "unit_id",
        "revision",
        "revenue_goal",
        "documents",
        "sharing_units",
        "sharing_clients",
        "contact_relations",
        "tags",
        "static_profiles",
    }
)
_REQUIRED_ON_CREATE = ("end_date", "name", "owner_id", "revenue_goal")
# (field, target entity, nullable) for the single-relation id fields.
_RELATIONS = {
    "owner_id": ("Client", False),
    "account_id": ("Account", True),
    "project_type_id": ("ProjectType", False),
    "unit_id": ("SalesUnit", False),
    "currency_exchange_rates_list_id": ("CurrencyExchangeRatesList", True),
}
_ARRAY_RELATIONS = {
    "documents": "CloudObjectRelations",
    "sharing_units": "ProjectSharingSalesUnitRelations",
    "sharing_clients": "ProjectSharingClientRelations",
    "tags": "TagRelations",
    "static_profiles": "ProfileRelations",
    "objectives": "ProjectObjectives",
}


def _ts(moment: datetime) -> str:
    # Docs example form (developers.pipelinersales.com/api-docs/core-api-concepts/dates).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def _field_id(field: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"unifold-sandbox:pipeliner:Project.{field}"))


def _encode_cursor(record: Json) -> str:
    raw = json.dumps([record["created"], record["id"]]).encode()
    return base64.b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        value = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError):
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


class _FieldErrors:
    """Collects field errors for the ERROR_ENTITY_VALIDATION envelope."""

    def __init__(self) -> None:
        self.items: list[tuple[str, int, str, str]] = []

    def relation(self, field: str, value: Any, entity: str, path: str | None = None) -> None:
        where = path or f"Project.{field}"
        message = f"[{field}] Relation {where}={value} to {entity} doesn't exist!"
        self.items.append((field, 120, "ERROR_RELATIONS_DOESNT_EXIST", message))

    def invalid(self, field: str, message: str) -> None:
        # [?] undocumented: only the relation error's code/name are published; other field
        # errors reuse the spec's example error (117 ERROR_PARAMETER_INVALID).
        self.items.append((field, 117, "ERROR_PARAMETER_INVALID", f"[{field}] {message}"))


class PipelinerSandbox(SandboxProvider):
    integration = "pipeliner"
    base_path = "/api/v100/rest/spaces/{space_id}"
    credentials = CREDENTIALS
    seed_project_ids = PROJECT_IDS
    seed_references = REFERENCES
    unknown_project_id = UNKNOWN_PROJECT_ID

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[str, set[str]] = {
            "Client": set(_REFS["clients"]),
            "Account": set(_REFS["accounts"]),
            "Contact": set(_REFS["contacts"]),
            "SalesUnit": set(_REFS["sales_units"]),
            "ProjectType": set(_REFS["project_types"]),
            "Currency": set(_REFS["currencies"]),
            "CurrencyExchangeRatesList": set(_REFS["currency_exchange_rates_lists"]),
        }
        self._projects: dict[str, Json] = {}
        self._counter = 0x100
        self._seed()

    def _new_id(self, kind: str = "a0") -> str:
        self._counter += 1
        return f"{kind:0<8}-0000-4000-8000-{self._counter:012x}"

    def _blank(self, project_id: str, stamp: str) -> Json:
        return {
            "id": project_id,
            "is_delete_protected": False,
            "is_deleted": False,
            "created": stamp,
            "modified": stamp,
            "modified_by_user": stamp,
            "name": "",
            "description": None,
            "owner_id": _REFS["clients"][0],
            "account_id": None,
            "project_type_id": _REFS["project_types"][0],
            "unit_id": _REFS["sales_units"][0],
            "currency_exchange_rates_list_id": None,
            "start_date": None,
            "end_date": None,
            "share_mode": 0,
            "revision": 1,
            "revenue_goal": {
                "base_value": 0.0,
                "currency_id": _REFS["currencies"][0],
                "value_foreign": 0.0,
            },
            "status": 1,
            "completion_rate": 0.0,
            "activities_total": 0.0,
            "activities_completed": 0.0,
            "is_favorite": False,
            "contact_relations": [],  # [{"id", "contact_id", "is_primary"}]
            **{key: [] for key in _ARRAY_RELATIONS},  # relation ids
            "custom": {},  # flat cf_ keys
        }

    def _seed(self) -> None:
        ids = PROJECT_IDS
        clients, accounts, contacts = _REFS["clients"], _REFS["accounts"], _REFS["contacts"]
        currency = _REFS["currencies"][0]
        specs: list[Json] = [
            {
                "name": "Website rebuild",
                "description": "Rebuild the public website",
                "owner_id": clients[0],
                "account_id": accounts[0],
                "start_date": "2024-01-15",
                "end_date": "2024-06-30",
                "revenue_goal": {
                    "base_value": 12000.0,
                    "currency_id": currency,
                    "value_foreign": 12000.0,
                },
                "status": 2,
                "completion_rate": 40.0,
                "activities_total": 5.0,
                "activities_completed": 2.0,
                "revision": 17,
                "contact_relations": [
                    {"id": self._new_id("c8"), "contact_id": contacts[0], "is_primary": True},
                    {"id": self._new_id("c8"), "contact_id": contacts[1], "is_primary": False},
                ],
                "custom": {"cf_budget_code": "WEB-24", "cf_region": "EMEA"},
            },
            {
                "name": "CRM migration",
                "owner_id": clients[1],
                "account_id": None,
                "end_date": "2024-09-30",
                "revenue_goal": {"base_value": 0.0, "currency_id": currency, "value_foreign": 0.0},
                "custom": {"cf_budget_code": None, "cf_region": None},
            },
            {
                "name": "Support onboarding",
                "description": "Closed onboarding project",
                "owner_id": clients[2],
                "account_id": accounts[1],
                "unit_id": _REFS["sales_units"][1],
                "start_date": "2023-11-01",
                "end_date": "2024-01-31",
                "revenue_goal": {
                    "base_value": 4500.0,
                    "currency_id": _REFS["currencies"][1],
                    "value_foreign": 5000.0,
                },
                "status": 4,
                "completion_rate": 100.0,
                "activities_total": 3.0,
                "activities_completed": 3.0,
                "revision": 5,
                "contact_relations": [
                    {"id": self._new_id("c8"), "contact_id": contacts[2], "is_primary": True},
                ],
                "custom": {"cf_budget_code": "SUP-01", "cf_region": None},
            },
        ]
        for index, (project_id, spec) in enumerate(zip(ids, specs, strict=True)):
            stamp = f"2024-01-0{index + 1} 09:30:00.000000+00:00"
            record = self._blank(project_id, stamp)
            record.update(spec)
            record["modified"] = record["modified_by_user"] = "2024-02-01 12:00:00.000000+00:00"
            self._projects[project_id] = record

    # ------------------------------------------------------------------ provider hooks

    def _match_base(self, path: str) -> tuple[str, str, dict[str, str]] | None:
        match = _BASE_RE.fullmatch(path)
        if match is None:
            return None
        return match["prefix"], match["rest"] or "/", {"space_id": match["space_id"]}

    def _build_routes(self) -> list[Route]:
        return [
            route("GET", r"/entities/Projects", self._list),
            route("GET", r"/entities/Fields", self._fields_list),
            route("POST", r"/entities/Projects", self._create),
            route("GET", r"/entities/Projects/(?P<id>[^/]+)", self._get),
            route("PATCH", r"/entities/Projects/(?P<id>[^/]+)", self._update),
            route("DELETE", r"/entities/Projects/(?P<id>[^/]+)", self._delete),
        ]

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        creds = basic_credentials(headers)
        return creds == (self.credentials["username"], self.credentials["password"])

    def _error(self, status: int, message: str) -> SandboxResponse:
        # [?] undocumented: code/name values for these generic errors; the envelope is the
        # spec's Error schema (http_status, code, name, message, success).
        names = {
            400: (117, "ERROR_PARAMETER_INVALID"),
            401: (401, "ERROR_UNAUTHORIZED"),
            404: (404, "ERROR_NOT_FOUND"),
            405: (405, "ERROR_METHOD_NOT_ALLOWED"),
            429: (429, "ERROR_TOO_MANY_REQUESTS"),
        }
        code, name = names.get(status, (500, "ERROR_INTERNAL"))
        headers = []
        if status == 401:
            # Legacy getting-started page: developers.pipelinersales.com/api-getting-starter/
            headers.append(("WWW-Authenticate", 'Basic realm="restapi"'))
        body = {
            "http_status": status,
            "code": code,
            "name": name,
            "message": message,
            "success": False,
        }
        return json_response(status, body, headers)

    # No rate-limit headers: [?] none are documented for Pipeliner.

    # ------------------------------------------------------------------ rendering

    def _uri(self, request: Request, entity: str, ident: str | None) -> str | None:
        if ident is None:
            return None
        return f"{request.origin}{request.prefix}/entities/{entity}/{ident}"

    def _render(self, request: Request, rec: Json) -> Json:
        uri = self._uri
        primary = next((r["contact_id"] for r in rec["contact_relations"] if r["is_primary"]), None)
        out: Json = {
            "is_delete_protected": rec["is_delete_protected"],
            "id": rec["id"],
            "is_deleted": rec["is_deleted"],
            "modified": rec["modified"],
            "created": rec["created"],
            "account": uri(request, "Accounts", rec["account_id"]),
            "currency_exchange_rates_list": uri(
                request, "CurrencyExchangeRatesLists", rec["currency_exchange_rates_list_id"]
            ),
            "owner": uri(request, "Clients", rec["owner_id"]),
            "project_type": uri(request, "ProjectTypes", rec["project_type_id"]),
            "unit": uri(request, "SalesUnits", rec["unit_id"]),
            "account_id": rec["account_id"],
            "currency_exchange_rates_list_id": rec["currency_exchange_rates_list_id"],
            "description": rec["description"],
            "end_date": rec["end_date"],
            "name": rec["name"],
            "owner_id": rec["owner_id"],
            "project_type_id": rec["project_type_id"],
            "share_mode": rec["share_mode"],
            "start_date": rec["start_date"],
            "unit_id": rec["unit_id"],
            "revision": rec["revision"],
            "revenue_goal": dict(rec["revenue_goal"]),
            "documents": [],
            "sharing_units": [],
            "sharing_clients": [],
            "primary_contact": uri(request, "Contacts", primary),
            "contact_relations": [
                uri(request, "ProjectContactRelations", r["id"]) for r in rec["contact_relations"]
            ],
        }
        for key, entity in _ARRAY_RELATIONS.items():
            out[key] = [uri(request, entity, ident) for ident in rec[key]]
        out.update(
            {
                "is_favorite": rec["is_favorite"],
                "status": rec["status"],
                "completion_rate": rec["completion_rate"],
                "activities_total": rec["activities_total"],
                "activities_completed": rec["activities_completed"],
                "formatted_name": rec["name"],
                "modified_by_user": rec["modified_by_user"],
            }
        )
        out.update(rec["custom"])
        return out

    def _ok(self, status: int, data: Any) -> SandboxResponse:
        return json_response(status, {"success": True, "data": data})

    # ------------------------------------------------------------------ handlers

    def _find(self, request: Request) -> Json:
        ident = request.params["id"].lower()
        record = self._projects.get(ident) if UUID_RE.match(ident) else None
        if record is None or record["is_deleted"]:
            # [?] undocumented: the internal code of ERROR_ENTITY_NOT_FOUND.
            body = {
                "success": False,
                "http_status": 404,
                "code": 404,
                "name": "ERROR_ENTITY_NOT_FOUND",
                "message": f"Entity Project with id {request.params['id']} was not found.",
            }
            raise Abort(json_response(404, body))
        return record

    def _get(self, request: Request) -> SandboxResponse:
        return self._ok(200, self._render(request, self._find(request)))

    def _fields_list(self, request: Request) -> SandboxResponse:
        """`GET /entities/Fields`: [I] {id, api_name, name, type_id, entity_name, data_set}
        (Field properties: developers.pipelinersales.com/api-docs/core-api-concepts/fields)."""
        entity = request.arg("filter[entity_name]")
        rows = [
            _field("f1", "name", "Name", "input", "Project"),
            _field("f2", "end_date", "End date", "date", "Project"),
            _field("f3", "cf_budget_code", "Budget code", "input", "Project"),
            _field("f4", "cf_region", "Region", "dropdown", "Project", ["EMEA", "APAC"]),
            _field("f5", "cf_segment", "Segment", "dropdown", "Account", ["SMB"]),
        ]
        rows = [r for r in rows if entity is None or r["entity_name"] == entity]
        page_info: Json = {"start_cursor": None, "end_cursor": None}
        page_info.update(has_previous_page=False, has_next_page=False)
        body = {"success": True, "total": len(rows), "page_info": page_info, "data": rows}
        return json_response(200, body)

    def _filters(self, request: Request) -> list[Any]:
        """`filter[<field>]=value` with `filter-op[<field>]=eq|gt|gte|lt|lte` (spec v100,
        parameters filter/filter-op); dates compare as instants."""
        ops = {"eq": lambda a, b: a == b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}
        ops.update({"lt": lambda a, b: a < b, "lte": lambda a, b: a <= b})
        out = []
        for key, value in request.query:
            match = re.fullmatch(r"filter\[([a-z_]+)\]", key)
            if not match:
                continue
            name = match[1]
            op = request.arg(f"filter-op[{name}]") or "eq"
            if op not in ops or name not in ("modified", "created", "name", "end_date"):
                # [?] sandbox: only these fields and operators are emulated.
                raise Abort(self._error(400, f"Unsupported filter {name!r} with operator {op!r}."))
            wanted = _instant(value) if name in ("modified", "created") else value
            if wanted is None:
                raise Abort(self._error(400, f"Filter value {value!r} is not a date-time."))

            def test(record: Json, name: str = name, wanted: Any = wanted, op: str = op) -> bool:
                have = _instant(record[name]) if name in ("modified", "created") else record[name]
                return have is not None and bool(ops[op](have, wanted))

            out.append(test)
        return out

    def _list(self, request: Request) -> SandboxResponse:
        first_raw = request.arg("first") or "30"
        if not first_raw.isdigit() or not 1 <= int(first_raw) <= 100:
            # Spec: "Max: 100. Default: 30"; [?] an out-of-range value is rejected here.
            return self._error(400, "Parameter 'first' must be between 1 and 100.")
        first = int(first_raw)
        include_deleted = (request.arg("include-deleted") or "").lower() == "true"
        # [?] sandbox: order-by, expand and load-only are accepted but ignored.
        wanted = self._filters(request)
        records = sorted(
            (
                r
                for r in self._projects.values()
                if (include_deleted or not r["is_deleted"]) and all(f(r) for f in wanted)
            ),
            key=lambda r: (r["created"], r["id"]),
        )
        start = 0
        after = request.arg("after")
        if after:
            key = _decode_cursor(after)
            if key is None:
                return self._error(400, "Parameter 'after' is not a valid cursor.")
            start = sum(1 for r in records if (r["created"], r["id"]) <= key)
        page = records[start : start + first]
        page_info = {
            "start_cursor": _encode_cursor(page[0]) if page else None,
            "end_cursor": _encode_cursor(page[-1]) if page else None,
            "has_previous_page": start > 0,
            "has_next_page": start + first < len(records),
        }
        body = {
            "success": True,
            "total": len(records),
            "page_info": page_info,
            "data": [self._render(request, r) for r in page],
        }
        return json_response(200, body)

    def _create(self, request: Request) -> SandboxResponse:
        data = request.json
        if not isinstance(data, dict):
            return self._error(400, "Request body must be a JSON object.")
        errors = _FieldErrors()
        for required in _REQUIRED_ON_CREATE:
            if data.get(required) is None:
                errors.invalid(required, "Field is required.")
        stamp = _ts(self.now())
        record = self._blank(self._new_id(), stamp)
        writable = {k: v for k, v in data.items() if k not in ("created", "modified")}
        if not errors.items:
            self._apply(record, writable, errors)
        if errors.items:
            return self._validation_error(None, errors)
        self._projects[record["id"]] = record
        return self._ok(201, self._render(request, record))

    def _update(self, request: Request) -> SandboxResponse:
        current = self._find(request)
        data = request.json
        if not isinstance(data, dict):
            return self._error(400, "Request body must be a JSON object.")
        record = copy.deepcopy(current)
        errors = _FieldErrors()
        self._apply(record, data, errors)
        if errors.items:
            return self._validation_error(current["id"], errors)
        stamp = _ts(self.now())
        record["modified"] = record["modified_by_user"] = stamp
        record["revision"] = current["revision"] + 1
        self._projects[record["id"]] = record
        return self._ok(200, self._render(request, record))

    def _delete(self, request: Request) -> SandboxResponse:
        record = self._find(request)
        # [I] inferred: deletion is soft (is_deleted, include-deleted, batch-restore).
        record["is_deleted"] = True
        record["modified"] = _ts(self.now())
        return self._ok(200, record["id"])

    # ------------------------------------------------------------------ validation

    def _validation_error(self, entity_id: str | None, errors: _FieldErrors) -> SandboxResponse:
        # Envelope per the bulk docs (developers.pipelinersales.com: bulk-create-update-delete).
        grouped: dict[str, list[Json]] = {}
        for field, code, name, message in errors.items:
            grouped.setdefault(field, []).append(
                {
                    "code": code,
                    "name": name,
                    "message": message,
                    "field_id": _field_id(field),
                    "field_name": field,
                }
            )
        body = {
            "code": 40000,
            "name": "ERROR_ENTITY_VALIDATION",
            "message": "".join("\n" + item[3] for item in errors.items),
            "entity_id": entity_id,
            "entity_name": "Project",
            "entity_errors": [],
            "field_errors": [
                {
                    "field_id": _field_id(field),
                    "field_name": field,
                    "name": "ERROR_FIELD_VALIDATION",
                    "code": 40002,
                    "errors": items,
                }
                for field, items in grouped.items()
            ],
            "step_checklist_errors": [],
            "entity_index": None,
            "http_status": 422,
            "success": False,
        }
        return json_response(422, body)

    def _apply(self, record: Json, data: Json, errors: _FieldErrors) -> None:
        for key, value in data.items():
            if key == "id" and isinstance(value, str) and value.lower() == record["id"]:
                continue  # the body may name the modified item ("id(s) of modified item(s)", spec)
            if key.startswith("cf_"):
                # [I] inferred: custom fields are flat keys; [?] any cf_ key is accepted.
                record["custom"][key] = value
            elif key not in _WRITABLE:
                errors.invalid(key, "Field is not writable or does not exist on Project.")
            elif key in _RELATIONS:
                entity, nullable = _RELATIONS[key]
                if value is None:
                    if nullable:
                        record[key] = None
                    else:
                        errors.invalid(key, "Field is required.")
                elif not isinstance(value, str) or value.lower() not in self._known[entity]:
                    errors.relation(key, value, entity)
                else:
                    record[key] = value.lower()
            elif key in ("name", "description"):
                if key == "name" and (not isinstance(value, str) or not value.strip()):
                    errors.invalid(key, "Field is required.")
                elif value is not None and not isinstance(value, str):
                    errors.invalid(key, "Value must be a string.")
                else:
                    record[key] = value
            elif key in ("start_date", "end_date"):
                if value is None and key == "start_date":
                    record[key] = None
                elif value is None:
                    errors.invalid(key, "Field is required.")
                elif parse_ymd(value) is None:
                    errors.invalid(key, "Value must be a date in YYYY-MM-DD format.")
                else:
                    record[key] = value
            elif key == "share_mode":
                if value not in (0, 1, 2, 3) or not is_int(value):
                    errors.invalid(key, "Value must be one of 0, 1, 2, 3.")
                else:
                    record[key] = value
            elif key == "revision":
                # [?] undocumented: revision is not used for conflict detection here.
                if not is_int(value):
                    errors.invalid(key, "Value must be an integer.")
            elif key == "revenue_goal":
                self._apply_money(record, value, errors)
            elif key == "contact_relations":
                self._apply_contacts(record, value, errors)
            else:
                self._apply_array(record, key, value, errors)
        start, end = record["start_date"], record["end_date"]
        if start and end and end < start:
            errors.invalid("end_date", "End date must be on or after start date.")

    def _apply_money(self, record: Json, value: Any, errors: _FieldErrors) -> None:
        keys = ("base_value", "currency_id", "value_foreign")
        if not isinstance(value, dict) or any(k not in value for k in keys):
            errors.invalid(
                "revenue_goal", "base_value, currency_id and value_foreign are required."
            )
            return
        if not is_number(value["base_value"]) or not is_number(value["value_foreign"]):
            errors.invalid("revenue_goal", "base_value and value_foreign must be numbers.")
            return
        currency = value["currency_id"]
        if not isinstance(currency, str) or currency.lower() not in self._known["Currency"]:
            errors.relation(
                "revenue_goal", currency, "Currency", "Project.revenue_goal.currency_id"
            )
            return
        record["revenue_goal"] = {
            "base_value": float(value["base_value"]),
            "currency_id": currency.lower(),
            "value_foreign": float(value["value_foreign"]),
        }

    def _apply_contacts(self, record: Json, value: Any, errors: _FieldErrors) -> None:
        # [?] undocumented whether the array replaces or merges; we replace.
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            errors.invalid("contact_relations", "Value must be an array of objects.")
            return
        relations = []
        for item in value:
            contact = item.get("contact_id")
            if not isinstance(contact, str) or contact.lower() not in self._known["Contact"]:
                where = "ProjectContactRelation.contact_id"
                errors.relation("contact_relations", contact, "Contact", where)
                continue
            relations.append(
                {
                    "id": self._new_id("c8"),
                    "contact_id": contact.lower(),
                    "is_primary": item.get("is_primary") is True,
                }
            )
        primaries = [r for r in relations if r["is_primary"]]
        for extra in primaries[:-1]:
            # "Setting is_primary to true on a row automatically clears it on any other" (spec).
            extra["is_primary"] = False
        record["contact_relations"] = relations

    def _apply_array(self, record: Json, key: str, value: Any, errors: _FieldErrors) -> None:
        # [?] undocumented: relation arrays replace the set; item ids are kept when given.
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            errors.invalid(key, "Value must be an array of objects.")
            return
        ids = []
        for item in value:
            given = str(item.get("id") or "").rstrip("/").rsplit("/", 1)[-1].lower()
            ids.append(given if UUID_RE.match(given) else self._new_id("e0"))
        record[key] = ids

    # ------------------------------------------------------------------ bench helper

    def put_project(self, raw: dict[str, Any]) -> str:
        with self._lock:
            values = copy.deepcopy(raw)
            project_id = str(values.pop("id", None) or self._new_id()).lower()
            record = self._blank(project_id, _ts(self.now()))
            for key, value in values.items():
                if key.startswith("cf_"):
                    record["custom"][key] = value
                elif key == "contact_relations":
                    record[key] = [
                        {
                            "id": self._new_id("c8"),
                            "contact_id": r.get("contact_id"),
                            "is_primary": bool(r.get("is_primary")),
                        }
                        for r in value
                        if isinstance(r, dict)
                    ]
                elif key in record and key not in _ARRAY_RELATIONS:
                    record[key] = value
            if not record["name"]:
                record["name"] = f"Project {project_id[-4:]}"
            if record["end_date"] is None:
                record["end_date"] = "2030-12-31"
            self._projects[project_id] = record
            return project_id


def _instant(text: Any) -> datetime | None:
    """A Pipeliner date-time (`2024-02-01 12:00:00.000000+00:00`); naive values are UTC [?]."""
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _field(
    key: str, api_name: str, name: str, type_id: str, entity: str, options: list[str] | None = None
) -> Json:
    return {
        "id": f"f1e1d000-0000-4000-8000-0000000000{key[1:].zfill(2)}",
        "api_name": api_name,
        "name": name,
        "type_id": type_id,
        "entity_name": entity,
        "data_set": [
            {"id": f"d47a5e70-0000-4000-8000-0000000000{i:02d}", "option_name": option}
            for i, option in enumerate(options or [])
        ],
    }


SANDBOX = PipelinerSandbox
"""The emulator class `create_provider("pipeliner")` instantiates."""
