"""Capsule CRM v2 "projects" (``kases``) emulator."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from unifold.sandbox._base import Abort, Request, Route, SandboxProvider, SandboxResponse
from unifold.sandbox._common import (
    FixedWindow,
    bearer_token,
    empty_response,
    is_int,
    is_number,
    json_response,
    parse_ymd,
    route,
)
from unifold.sandbox._oauth import OAuthSandbox, OAuthSettings

# Seed data (the emulator contract, `SandboxProvider`): the sandbox account's credentials, the
# seeded projects' ids (the first is the richest), the related records by kind, and a
# well-formed project id no seed has.
CREDENTIALS: dict[str, str] = {"token": "sandbox-capsule-token"}
PROJECT_IDS: tuple[str, ...] = ("12", "13", "14")
REFERENCES: dict[str, tuple[str, ...]] = {
    "parties": ("892", "893", "894"),
    "users": ("61", "62", "63"),
    "teams": ("42", "43"),
    "opportunities": ("8301", "8302"),
    "stages": ("149", "150", "151"),
    "tags": ("501", "502", "503"),
    "field_definitions": ("77", "78", "79", "80", "81"),
}
UNKNOWN_PROJECT_ID = "99999"

Json = dict[str, Any]
_PICTURE = "https://sandbox.invalid/avatars/{}.png"
_STATUSES = ("OPEN", "CLOSED")
_READ_ONLY = ("id", "createdAt", "updatedAt", "closedOn", "lastContactedAt")


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CapsuleSandbox(OAuthSandbox, SandboxProvider):
    integration = "capsule"
    base_path = "/api/v2"
    credentials = CREDENTIALS
    seed_project_ids = PROJECT_IDS
    seed_references = REFERENCES
    unknown_project_id = UNKNOWN_PROJECT_ID
    # OAuth next to personal tokens (sandbox/_oauth.py):
    # https://developer.capsulecrm.com/v2/overview/authentication#oauth-2 (authorise and token
    # on api.capsulecrm.com); access tokens last 7 days and the token response names the
    # account's subdomain (https://developer.capsulecrm.com/v2/overview/basic-auth-migrate).
    oauth_settings = OAuthSettings(
        "/oauth/authorise",
        "/oauth/token",
        7 * 24 * 3600,
        (("scope", "read write"), ("subdomain", "sandbox")),
    )

    def __init__(self) -> None:
        super().__init__()
        # 4,000 requests/hour per user: developer.capsulecrm.com/v2/overview/handling-api-responses
        self._window = FixedWindow(4000, 3600)
        self._users: dict[int, Json] = {
            61: {"id": 61, "username": "alice", "name": "Alice Archer"},
            62: {"id": 62, "username": "bob", "name": "Bob Baker"},
            63: {"id": 63, "username": "carol", "name": "Carol Chen"},
        }
        self._teams: dict[int, Json] = {
            42: {"id": 42, "name": "Delivery"},
            43: {"id": 43, "name": "Support"},
        }
        self._members: dict[int, set[int]] = {42: {61, 62}, 43: {63}}
        self._parties: dict[int, Json] = {
            892: self._org(892, "Northwind Traders"),
            893: self._org(893, "Globex Ltd"),
            # A person has firstName/lastName, not name (docs text, per a community OpenAPI).
            894: {
                "id": 894,
                "type": "person",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "pictureURL": _PICTURE.format(894),
            },
        }
        self._opportunities: dict[int, Json] = {
            8301: {"id": 8301, "name": "Website redesign"},
            8302: {"id": 8302, "name": "Support renewal"},
        }
        self._stages: dict[int, Json] = {
            149: {"id": 149, "name": "Project Brief"},
            150: {"id": 150, "name": "In Progress"},
            151: {"id": 151, "name": "Handover"},
        }
        self._tags: dict[int, Json] = {
            501: {"id": 501, "name": "Priority", "description": None},
            502: {"id": 502, "name": "VIP", "description": None},
            503: {"id": 503, "name": "Internal", "description": None},
        }
        self._definitions: dict[int, Json] = {
            77: {"id": 77, "name": "Kickoff date", "type": "date"},
            78: {"id": 78, "name": "Budget", "type": "number"},
            79: {"id": 79, "name": "Billable", "type": "boolean"},
            80: {"id": 80, "name": "Phase", "type": "list", "options": ["Discovery", "Build"]},
            81: {"id": 81, "name": "Notes", "type": "text"},
        }
        self._kases: dict[int, Json] = {}
        self._kase_tags: dict[int, list[int]] = {}
        self._kase_fields: dict[int, list[Json]] = {}
        self._kase_parties: dict[int, list[int]] = {}
        self._next_kase = 15
        self._next_tag = 504
        self._next_field = 9904
        self._seed()

    # ------------------------------------------------------------------ seed

    @staticmethod
    def _org(party_id: int, name: str) -> Json:
        return {
            "id": party_id,
            "type": "organisation",
            "name": name,
            "pictureURL": _PICTURE.format(party_id),
        }

    def _seed(self) -> None:
        base = {"createdAt": "2024-01-08T09:30:00Z", "updatedAt": "2024-02-01T12:00:00Z"}
        self._kases[12] = {
            "id": 12,
            "party": self._nested_party(892),
            "owner": dict(self._users[61]),
            "team": dict(self._teams[42]),
            "status": "OPEN",
            "opportunity": dict(self._opportunities[8301]),
            "stage": dict(self._stages[149]),
            **base,
            "expectedCloseOn": "2024-06-30",
            "closedOn": None,
            "lastContactedAt": "2024-01-30T15:00:00Z",
            "name": "Website rebuild",
            "description": "Rebuild the public website",
        }
        self._kases[13] = {
            "id": 13,
            "party": self._nested_party(893),
            "owner": dict(self._users[62]),
            "team": None,
            "status": "OPEN",
            "opportunity": None,
            "stage": dict(self._stages[150]),
            **base,
            "expectedCloseOn": None,
            "closedOn": None,
            "lastContactedAt": None,
            "name": "CRM migration",
            "description": None,
        }
        self._kases[14] = {
            "id": 14,
            "party": self._nested_party(892),
            "owner": None,
            "team": dict(self._teams[43]),
            "status": "CLOSED",
            "opportunity": dict(self._opportunities[8302]),
            "stage": None,
            **base,
            "expectedCloseOn": "2024-01-31",
            "closedOn": "2024-01-31",
            "lastContactedAt": None,
            "name": "Support onboarding",
            "description": "Closed onboarding project",
        }
        self._kase_tags = {12: [501], 13: [], 14: [503]}
        self._kase_fields = {
            12: [
                {"id": 9901, "definition": 77, "value": "2024-01-15"},
                {"id": 9902, "definition": 78, "value": "12000"},
            ],
            13: [{"id": 9903, "definition": 79, "value": True}],
            14: [],
        }
        self._kase_parties = {12: [894], 13: [], 14: []}

    def _nested_party(self, party_id: int) -> Json:
        party = self._parties[party_id]
        keys = ("id", "type", "name", "firstName", "lastName", "pictureURL")
        return {k: party[k] for k in keys if k in party}

    # ------------------------------------------------------------------ provider hooks

    def _build_routes(self) -> list[Route]:
        return [
            route("GET", r"/kases", self._list),
            route("POST", r"/kases", self._create),
            route("GET", r"/kases/tags", self._list_tags),
            route("GET", r"/kases/fields/definitions", self._definitions_list),
            route("GET", r"/kases/(?P<id>\d+)", self._get),
            route("PUT", r"/kases/(?P<id>\d+)", self._update),
            route("DELETE", r"/kases/(?P<id>\d+)", self._delete),
            route("GET", r"/kases/(?P<id>\d+)/parties", self._parties_list),
            route("POST", r"/kases/(?P<id>\d+)/parties/(?P<party>\d+)", self._party_add),
            route("DELETE", r"/kases/(?P<id>\d+)/parties/(?P<party>\d+)", self._party_remove),
        ]

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        token = bearer_token(headers)
        return token == self.credentials["token"] or self.oauth_token_valid(token)

    def _error(self, status: int, message: str) -> SandboxResponse:
        if status == 404:
            message = "Could not find resource"
        if status == 429:
            # Verbatim 429 body: developer.capsulecrm.com/v2/overview/handling-api-responses.
            return json_response(429, {"error": "rate limit reached"})
        headers = []
        if status == 401:
            # [?] text undocumented; sent per developer.capsulecrm.com/v2/overview/authentication.
            headers.append(("WWW-Authenticate", 'Bearer realm="capsule", error="invalid_token"'))
            message = "Invalid or missing access token"
        return json_response(status, {"message": message}, headers)

    def _count_request(self) -> bool:
        return self._window.hit(self.clock())

    def _rate_limit_headers(self) -> list[tuple[str, str]]:
        return [
            ("X-RateLimit-Limit", str(self._window.limit)),
            ("X-RateLimit-Remaining", str(self._window.remaining)),
            ("X-RateLimit-Reset", str(int(self._window.reset))),
        ]

    # ------------------------------------------------------------------ helpers

    def _invalid(self, errors: list[tuple[str, str]]) -> SandboxResponse:
        return json_response(
            422,
            {
                "message": "Validation Failed",
                "errors": [{"resource": "kase", "field": f, "message": m} for f, m in errors],
            },
        )

    def _find(self, request: Request) -> Json:
        kase = self._kases.get(int(request.params["id"]))
        if kase is None:
            raise Abort(self._error(404, "kase not found"))
        return kase

    def _render(self, kase: Json, embed: set[str]) -> Json:
        out = copy.deepcopy(kase)
        kid = kase["id"]
        if "party" in embed and out.get("party") and out["party"].get("id") in self._parties:
            out["party"] = copy.deepcopy(self._parties[out["party"]["id"]])
        if "tags" in embed:
            out["tags"] = [dict(self._tags[t]) for t in self._kase_tags.get(kid, [])]
        if "fields" in embed:
            out["fields"] = [
                {
                    "id": f["id"],
                    "value": f["value"],
                    "definition": {
                        "id": f["definition"],
                        "name": self._definitions.get(f["definition"], {}).get("name"),
                    },
                }
                for f in self._kase_fields.get(kid, [])
            ]
        if "missingImportantFields" in embed:
            out["missingImportantFields"] = False
        # [?] undocumented: unknown embed values are ignored rather than rejected.
        return out

    @staticmethod
    def _embed(request: Request) -> set[str]:
        raw = request.arg("embed") or ""
        return {part.strip() for part in raw.split(",") if part.strip()}

    def _envelope(self, request: Request) -> Json:
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("kase"), dict):
            # [?] undocumented: the message for a body without a "kase" object.
            raise Abort(json_response(400, {"message": "request body must contain a kase object"}))
        kase: Json = body["kase"]
        return kase

    # ------------------------------------------------------------------ handlers

    def _page(
        self, request: Request, items: list[Json], path: str
    ) -> tuple[list[Json], list[tuple[str, str]]]:
        """One page of `items` and its RFC 5988 Link header: `page` and `perPage` (1-100,
        default 50), as every Capsule list pages (developer.capsulecrm.com/v2, pagination)."""
        page = request.arg("page") or "1"
        per_page = request.arg("perPage") or "50"
        if not page.isdigit() or int(page) < 1 or not per_page.isdigit():
            raise Abort(
                json_response(400, {"message": "page and perPage must be positive integers"})
            )
        if not 1 <= int(per_page) <= 100:
            # [?] undocumented: perPage outside 1..100 is rejected, not clamped.
            raise Abort(json_response(400, {"message": "perPage must be between 1 and 100"}))
        number, size = int(page), int(per_page)
        chunk = items[(number - 1) * size : number * size]
        links = []
        extra = [(k, v) for k, v in request.query if k not in ("page", "perPage")]

        def link(target: int, rel: str) -> str:
            query = urlencode([*extra, ("page", str(target)), ("perPage", str(size))])
            return f'<{request.origin}{request.prefix}{path}?{query}>; rel="{rel}"'

        if number > 1:
            links.append(link(number - 1, "prev"))
        if number * size < len(items):
            links.append(link(number + 1, "next"))
        return chunk, [("Link", ", ".join(links))] if links else []

    def _list(self, request: Request) -> SandboxResponse:
        kases = sorted(self._kases.values(), key=lambda k: k["id"])
        since = request.arg("since")
        if since:
            kases = [k for k in kases if k["updatedAt"] > since.replace("+00:00", "Z")]
        embed = self._embed(request)
        chunk, headers = self._page(request, kases, "/kases")
        return json_response(200, {"kases": [self._render(k, embed) for k in chunk]}, headers)

    def _get(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        return json_response(200, {"kase": self._render(kase, self._embed(request))})

    def _create(self, request: Request) -> SandboxResponse:
        data = self._envelope(request)
        kid = self._next_kase
        now = _ts(self.now())
        draft: Json = {
            "id": kid,
            "party": None,
            "owner": None,
            "team": None,
            "status": "OPEN",
            "opportunity": None,
            "stage": None,
            "createdAt": now,
            "updatedAt": now,
            "expectedCloseOn": None,
            "closedOn": None,
            "lastContactedAt": None,
            "name": None,
            "description": None,
        }
        if "owner" not in data and "team" not in data:
            # [?] third-party sources conflict (soil-dev/capsulemcp): a new project without
            # owner/team gets the token's user (61) as owner.
            data = {**data, "owner": {"id": 61}}
        for required in ("name", "party"):
            if required not in data:
                return self._invalid([(required, f"{required} is required")])
        result = self._apply(draft, [], [], data, creating=True)
        if isinstance(result, SandboxResponse):
            return result
        record, tags, fields = result
        self._next_kase += 1
        self._kases[kid] = record
        self._kase_tags[kid] = tags
        self._kase_fields[kid] = fields
        self._kase_parties[kid] = []
        location = f"{request.origin}{request.prefix}/kases/{kid}"
        body = {"kase": self._render(record, self._embed(request))}
        return json_response(201, body, [("Location", location)])

    def _update(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        data = self._envelope(request)
        kid = kase["id"]
        result = self._apply(
            copy.deepcopy(kase),
            list(self._kase_tags.get(kid, [])),
            copy.deepcopy(self._kase_fields.get(kid, [])),
            data,
            creating=False,
        )
        if isinstance(result, SandboxResponse):
            return result
        record, tags, fields = result
        record["updatedAt"] = _ts(self.now())
        self._kases[kid] = record
        self._kase_tags[kid] = tags
        self._kase_fields[kid] = fields
        return json_response(200, {"kase": self._render(record, self._embed(request))})

    def _delete(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        kid = kase["id"]
        for table in (self._kases, self._kase_tags, self._kase_fields, self._kase_parties):
            table.pop(kid, None)
        return empty_response(204)

    def _list_tags(self, request: Request) -> SandboxResponse:
        return json_response(200, {"tags": [dict(t) for t in self._tags.values()]})

    def _definitions_list(self, request: Request) -> SandboxResponse:
        # Paged like every list: "perPage ... 1 and 100. Default: 50" with Link rel="next"
        # (developer.capsulecrm.com/v2/operations/Custom_Field).
        definitions = [dict(d) for _, d in sorted(self._definitions.items())]
        chunk, headers = self._page(request, definitions, "/kases/fields/definitions")
        return json_response(200, {"definitions": chunk}, headers)

    # Additional parties: endpoint shape is [I], from a third-party client (soil-dev/capsulemcp).
    def _parties_list(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        ids = self._kase_parties.get(kase["id"], [])
        return json_response(200, {"parties": [copy.deepcopy(self._parties[i]) for i in ids]})

    def _party_add(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        party_id = int(request.params["party"])
        if party_id not in self._parties:
            return self._error(404, "party not found")
        linked = self._kase_parties.setdefault(kase["id"], [])
        if party_id not in linked:  # [?] undocumented: adding twice is a no-op
            linked.append(party_id)
        return empty_response(204)

    def _party_remove(self, request: Request) -> SandboxResponse:
        kase = self._find(request)
        party_id = int(request.params["party"])
        linked = self._kase_parties.setdefault(kase["id"], [])
        if party_id not in linked:
            # [?] undocumented: removing a party that is not attached answers 404.
            return self._error(404, "party not found")
        linked.remove(party_id)
        return empty_response(204)

    # ------------------------------------------------------------------ validation

    def _apply(
        self, record: Json, tags: list[int], fields: list[Json], data: Json, *, creating: bool
    ) -> tuple[Json, list[int], list[Json]] | SandboxResponse:
        errors: list[tuple[str, str]] = []
        new_tags: list[Json] = []
        for key, value in data.items():
            if key in _READ_ONLY:
                continue  # [?] undocumented: read-only keys in the body are ignored
            try:
                if key == "tags":
                    self._apply_tags(tags, value, new_tags)
                elif key == "fields":
                    self._apply_fields(fields, value)
                else:
                    self._apply_scalar(record, key, value)
            except _Invalid as exc:
                errors.append((exc.field, exc.message))
        if "owner" in data and "team" not in data and not creating:
            # Undocumented; live-traced by soil-dev/capsulemcp: owner without team clears the team.
            record["team"] = None
        owner, team = record.get("owner"), record.get("team")
        if not errors and owner is None and team is None:
            errors.append(("owner", "kase: owner or team is required"))
        if not errors and owner is not None and team is not None:
            if owner.get("id") not in self._members.get(team.get("id"), set()):
                errors.append(("owner", "owner is not a member of the team"))
        if errors:
            return self._invalid(errors)
        for tag in new_tags:
            self._tags[tag["id"]] = tag
            self._next_tag = max(self._next_tag, tag["id"] + 1)
        return record, tags, fields

    def _ref(self, table: dict[int, Json], key: str, value: Any, *, nullable: bool = True) -> Any:
        if value is None:
            if not nullable:
                raise _Invalid(key, f"{key} is required")
            return None
        ident = value.get("id") if isinstance(value, dict) else None
        if not is_int(ident):
            raise _Invalid(key, f"{key} is invalid")
        if ident not in table:
            raise _Invalid(key, f"{key} not found")
        return ident

    def _apply_scalar(self, record: Json, key: str, value: Any) -> None:
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                raise _Invalid("name", "name is required")
            record["name"] = value
        elif key == "description":
            if value is not None and not isinstance(value, str):
                raise _Invalid("description", "description is invalid")
            record["description"] = value
        elif key == "party":
            ident = self._ref(self._parties, "party", value, nullable=False)
            record["party"] = self._nested_party(ident)
        elif key == "owner":
            ident = self._ref(self._users, "owner", value)
            record["owner"] = None if ident is None else dict(self._users[ident])
        elif key == "team":
            ident = self._ref(self._teams, "team", value)
            record["team"] = None if ident is None else dict(self._teams[ident])
        elif key == "opportunity":
            ident = self._ref(self._opportunities, "opportunity", value)
            record["opportunity"] = None if ident is None else dict(self._opportunities[ident])
        elif key == "stage":
            # The docs' create example sends a bare int, others {"id": N}; [I] both accepted.
            ident = self._ref(self._stages, "stage", {"id": value} if is_int(value) else value)
            record["stage"] = None if ident is None else dict(self._stages[ident])
        elif key == "status":
            if value not in _STATUSES:
                raise _Invalid("status", "status must be one of OPEN, CLOSED")
            if value == "CLOSED" and record.get("status") != "CLOSED":
                record["closedOn"] = self.now().date().isoformat()
            elif value == "OPEN":
                record["closedOn"] = None
            record["status"] = value
        elif key == "expectedCloseOn":
            if value is not None and parse_ymd(value) is None:
                raise _Invalid("expectedCloseOn", "expectedCloseOn is not a valid date")
            record["expectedCloseOn"] = value
        # [?] undocumented: other unknown keys are ignored (Capsule ignores e.g. "_destroy").

    def _apply_tags(self, tags: list[int], value: Any, new_tags: list[Json]) -> None:
        if not isinstance(value, list):
            raise _Invalid("tags", "tags must be an array")
        for item in value:
            if not isinstance(item, dict):
                raise _Invalid("tags", "tag is invalid")
            ident = item.get("id")
            if item.get("_delete") is True:
                if ident not in tags:
                    raise _Invalid("tags", "tag not found to delete")
                tags.remove(ident)
            elif ident is not None:
                # [?] undocumented: {"id": N} without _delete attaches an existing tag.
                if ident not in self._tags:
                    raise _Invalid("tags", "tag not found")
                if ident not in tags:
                    tags.append(ident)
            elif isinstance(item.get("name"), str) and item["name"].strip():
                tag_id = self._tag_by_name(item["name"], new_tags)
                if tag_id not in tags:
                    tags.append(tag_id)
            else:
                raise _Invalid("tags", "tag name is required")

    def _tag_by_name(self, name: str, new_tags: list[Json]) -> int:
        # Case-insensitive match on tags, else a new tag (third-party: soil-dev/capsulemcp add_tag).
        for tag in [*self._tags.values(), *new_tags]:
            if tag["name"].lower() == name.strip().lower():
                return int(tag["id"])
        tag = {"id": self._next_tag + len(new_tags), "name": name.strip(), "description": None}
        new_tags.append(tag)
        return int(tag["id"])

    def _apply_fields(self, fields: list[Json], value: Any) -> None:
        if not isinstance(value, list):
            raise _Invalid("fields", "fields must be an array")
        for item in value:
            if not isinstance(item, dict):
                raise _Invalid("fields", "field is invalid")
            ident = item.get("id")
            if ident is not None:
                existing = next((f for f in fields if f["id"] == ident), None)
                if existing is None:
                    raise _Invalid("fields", "field not found")
                if item.get("_delete") is True:
                    fields.remove(existing)
                elif "value" in item:
                    definition = self._definitions.get(existing["definition"], {"type": "text"})
                    existing["value"] = self._field_value(definition, item["value"])
                continue
            definition_ref = item.get("definition")
            def_id = definition_ref.get("id") if isinstance(definition_ref, dict) else None
            if def_id not in self._definitions:
                raise _Invalid("fields", "field definition not found")
            stored = self._field_value(self._definitions[def_id], item.get("value"))
            fields.append({"id": self._next_field, "definition": def_id, "value": stored})
            self._next_field += 1

    @staticmethod
    def _field_value(definition: Json, value: Any) -> Any:
        kind = definition["type"]
        invalid = _Invalid("fields", "field.value: invalid type for field")
        if kind == "boolean":
            # A boolean field cannot be cleared with null (live trace by soil-dev/capsulemcp).
            if not isinstance(value, bool):
                raise invalid
            return value
        if value is None:
            return None
        if kind == "number":
            # Numbers in as string or number, out as string (docs; soil-dev/capsulemcp live trace).
            if is_number(value):
                return str(value)
            if isinstance(value, str):
                try:
                    float(value)
                except ValueError:
                    raise invalid from None
                return value
            raise invalid
        if kind == "date" and parse_ymd(value) is None:
            raise invalid
        if kind == "list" and value not in definition.get("options", []):
            raise _Invalid("fields", "field.value: value is not one of the list options")
        if not isinstance(value, str):
            raise invalid
        return value

    # ------------------------------------------------------------------ bench helper

    def define_field(self, name: str, kind: str = "text") -> int:
        """Add a project custom field definition (an account can have many more than 50)."""
        with self._lock:
            ident = max(self._definitions) + 1
            self._definitions[ident] = {"id": ident, "name": name, "type": kind}
            return ident

    def put_project(self, raw: dict[str, Any]) -> str:
        with self._lock:
            record = copy.deepcopy(raw)
            tags = record.pop("tags", None) or []
            fields = record.pop("fields", None) or []
            kid: int = record["id"] if is_int(record.get("id")) else self._next_kase
            record["id"] = kid
            self._next_kase = max(self._next_kase, kid + 1)
            stamp = _ts(self.now())
            defaults: Json = {
                "party": self._nested_party(892),
                "owner": dict(self._users[61]),
                "team": None,
                "status": "OPEN",
                "opportunity": None,
                "stage": None,
                "createdAt": stamp,
                "updatedAt": stamp,
                "expectedCloseOn": None,
                "closedOn": None,
                "lastContactedAt": None,
                "name": f"Project {kid}",
                "description": None,
            }
            self._kases[kid] = {**defaults, **record}
            tag_ids = []
            for tag in tags:
                tag_id = tag.get("id") if is_int(tag.get("id")) else self._next_tag
                self._tags.setdefault(
                    tag_id,
                    {"id": tag_id, "name": tag.get("name", f"tag{tag_id}"), "description": None},
                )
                self._next_tag = max(self._next_tag, tag_id + 1)
                tag_ids.append(tag_id)
            self._kase_tags[kid] = tag_ids
            self._kase_fields[kid] = []
            for field in fields:
                def_id = (field.get("definition") or {}).get("id")
                self._kase_fields[kid].append(
                    {
                        "id": field.get("id", self._next_field),
                        "definition": def_id,
                        "value": field.get("value"),
                    }
                )
                self._next_field += 1
            self._kase_parties[kid] = []
            return str(kid)


SANDBOX = CapsuleSandbox
"""The emulator class `create_provider("capsule")` instantiates."""
