"""Teamleader Focus "projects-v2" emulator (RPC style: every call is a POST with a JSON body)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from unifold.sandbox._base import Abort, Request, Route, SandboxProvider, SandboxResponse
from unifold.sandbox._common import (
    SlidingWindow,
    bearer_token,
    empty_response,
    is_int,
    is_number,
    json_response,
    parse_ymd,
    route,
)
from unifold.sandbox._oauth import OAuthSandbox, OAuthSettings
from unifold.sandbox._seeds import teamleader_id as _tl

# Seed data (the emulator contract, `SandboxProvider`): the sandbox account's credentials, the
# seeded projects' ids (the first is the richest), the related records by kind, and a
# well-formed project id no seed has.
CREDENTIALS: dict[str, str] = {"access_token": "sandbox-teamleader-token"}
PROJECT_IDS: tuple[str, ...] = (_tl("a0", 1), _tl("a0", 2), _tl("a0", 3))
REFERENCES: dict[str, tuple[str, ...]] = {
    "users": (_tl("b0", 1), _tl("b0", 2), _tl("b0", 3)),
    "teams": (_tl("7ea", 1),),
    "contacts": (_tl("c7", 1), _tl("c7", 2)),
    "companies": (_tl("c0", 1), _tl("c0", 2)),
    "deals": (_tl("de", 1), _tl("de", 2)),
    "quotations": (_tl("90", 1),),
    "departments": (_tl("d0", 1),),
    "custom_field_definitions": (_tl("cf", 1), _tl("cf", 2), _tl("cf", 3), _tl("cf", 4)),
}
UNKNOWN_PROJECT_ID = "a0000000-7e57-4d1e-9a1b-0000000000ff"

Json = dict[str, Any]
_REFS = REFERENCES
_COLORS = (
    "#00B2B2", "#008A8C", "#992600", "#ED9E00", "#D157D3", "#A400B2",
    "#0071F2", "#004DA6", "#64788F", "#C0C0C4", "#82828C", "#1A1C20",
)  # fmt: skip
_CURRENCIES = frozenset(
    "BAM CAD CHF CLP CNY COP CZK DKK EUR GBP INR ISK JPY MAD MXN NOK PEN PLN RON SEK TRY USD "
    "ZAR".split()
)
_BILLING = ("time_and_materials", "fixed_price", "non_billable")
_UNIT_SECONDS = {"hours": 3600, "minutes": 60, "seconds": 1}
_CLOSING = ("mark_tasks_and_materials_as_done", "none")
_DELETING = (
    "unlink_tasks_and_time_trackings",
    "delete_tasks_and_time_trackings",
    "delete_tasks_unlink_time_trackings",
)
# Info-only and list-only fields: developer.focus.teamleader.eu/docs/api/nextgen-projects-list
_INFO_ONLY = (
    "update_rights",
    "purchase_order_number",
    "custom_user_rates",
    "task_external_budget_spent",
    "material_external_budget_spent",
    "external_parties",
)
_SORTABLE_MONEY = ("amount_billed", "amount_paid", "amount_unbilled", "cost", "external_budget",
                   "external_budget_spent", "internal_budget", "margin", "price")  # fmt: skip
_CREATOR = _REFS["users"][0]  # the user the sandbox access token belongs to


def _eur(amount: float) -> Json:
    return {"amount": amount, "currency": "EUR"}


class _Bad(Exception):
    pass


class TeamleaderSandbox(OAuthSandbox, SandboxProvider):
    integration = "teamleader"
    base_path = ""
    credentials = CREDENTIALS
    seed_project_ids = PROJECT_IDS
    seed_references = REFERENCES
    unknown_project_id = UNKNOWN_PROJECT_ID
    # OAuth (sandbox/_oauth.py): https://developer.focus.teamleader.eu/docs/authentication —
    # authorize and access_token on focus.teamleader.eu, access tokens last 1 hour, refresh
    # tokens are single use.
    oauth_settings = OAuthSettings("/oauth2/authorize", "/oauth2/access_token", 3600)

    def __init__(self) -> None:
        super().__init__()
        # 200 requests per sliding minute (developer.focus.teamleader.eu/docs/general-principles).
        self._window = SlidingWindow(200, 60)
        self._known: dict[str, set[str]] = {
            "user": set(_REFS["users"]),
            "team": set(_REFS["teams"]),
            "contact": set(_REFS["contacts"]),
            "company": set(_REFS["companies"]),
            "deal": set(_REFS["deals"]),
            "quotation": set(_REFS["quotations"]),
            "department": set(_REFS["departments"]),
        }
        cf = _REFS["custom_field_definitions"]
        self._definitions: dict[str, Json] = {
            cf[0]: {"type": "single_line", "label": "PO number", "required": False},
            cf[1]: {"type": "number", "label": "Hours sold", "required": False},
            cf[2]: {"type": "yes_no", "label": "Billable", "required": True},
            cf[3]: {
                "type": "multiple_choice",
                "label": "Phase",
                "required": False,
                "options": ["Design", "Build", "Launch"],
            },
        }
        self._projects: dict[str, Json] = {}
        # Which projects module the account uses: "projects-v2" or "legacy" (tests set it).
        self.projects_module = "projects-v2"
        self._counter = 0x100
        self._seed()

    # ------------------------------------------------------------------ seed

    def _blank(self, project_id: str, key: int, title: str) -> Json:
        return {
            "id": project_id,
            "project_key": key,
            "title": title,
            "description": None,
            "status": "open",
            "update_rights": "owners",
            "billing_method": "time_and_materials",
            "time_budget": None,
            "time_tracked": {"value": 0, "unit": "seconds"},
            "time_estimated": {"value": 0, "unit": "seconds"},
            "amount_billed": _eur(0),
            "amount_unbilled": _eur(0),
            "fixed_amount_billed": _eur(0),
            "amount_paid": _eur(0),
            "external_budget": None,
            "task_external_budget_spent": _eur(0),
            "material_external_budget_spent": _eur(0),
            "external_budget_spent": _eur(0),
            "internal_budget": None,
            "price": _eur(0),
            "fixed_price": None,
            "calculated_price": _eur(0),
            "cost": None,  # null without "Costs on projects" permission (teamleadercrm/api)
            "margin": None,
            "margin_percentage": None,
            "start_date": None,
            "end_date": None,
            "purchase_order_number": None,
            "company_entity": None,
            "owners": [{"type": "user", "id": _CREATOR}],
            "color": "#00B2B2",
            "assignees": [],
            "customers": [],
            "deals": [],
            "quotations": [],
            "custom_user_rates": [],
            "custom_fields": [],
            "external_parties": [],
        }

    def _seed(self) -> None:
        ids = PROJECT_IDS
        users, cf = _REFS["users"], _REFS["custom_field_definitions"]
        first = self._blank(ids[0], 1, "Website rebuild")
        first.update(
            description="Rebuild the public website",
            external_budget=_eur(12000),
            internal_budget=_eur(8000),
            price=_eur(3200),
            start_date="2024-01-15",
            end_date="2024-06-30",
            purchase_order_number="PO-7",
            company_entity={"type": "department", "id": _REFS["departments"][0]},
            assignees=[{"assignee": {"type": "user", "id": users[1]}, "assign_type": "manual"}],
            customers=[{"type": "company", "id": _REFS["companies"][0]}],
            deals=[{"type": "deal", "id": _REFS["deals"][0]}],
            custom_fields=[self._cf(cf[0], "PO-7"), self._cf(cf[1], 42)],
        )
        second = self._blank(ids[1], 2, "CRM migration")
        second.update(
            billing_method="fixed_price",
            fixed_price=_eur(8000),
            owners=[{"type": "user", "id": users[1]}],
            color="#0071F2",
        )
        third = self._blank(ids[2], 3, "Support onboarding")
        third.update(
            description="Closed onboarding project",
            status="closed",
            billing_method="non_billable",
            start_date="2023-11-01",
            end_date="2024-01-31",
            owners=[{"type": "user", "id": users[0]}, {"type": "user", "id": users[2]}],
            customers=[{"type": "contact", "id": _REFS["contacts"][0]}],
            custom_fields=[self._cf(cf[2], True)],
        )
        for record in (first, second, third):
            self._projects[record["id"]] = record

    @staticmethod
    def _cf(definition: str, value: Any) -> Json:
        return {"definition": {"type": "customFieldDefinition", "id": definition}, "value": value}

    # ------------------------------------------------------------------ provider hooks

    def _build_routes(self) -> list[Route]:
        actions: dict[str, Callable[[Request], SandboxResponse]] = {
            "list": self._list,
            "info": self._info,
            "create": self._create,
            "update": self._update,
            "delete": self._delete,
            "close": self._close,
            "reopen": self._reopen,
            "addCustomer": self._link("customers", "customer", add=True),
            "removeCustomer": self._link("customers", "customer", add=False),
            "addOwner": self._link("owners", "user_id", add=True),
            "removeOwner": self._link("owners", "user_id", add=False),
            "assign": self._link("assignees", "assignee", add=True),
            "unassign": self._link("assignees", "assignee", add=False),
            "addDeal": self._link("deals", "deal_id", add=True),
            "removeDeal": self._link("deals", "deal_id", add=False),
            "addQuotation": self._link("quotations", "quotation_id", add=True),
            "removeQuotation": self._link("quotations", "quotation_id", add=False),
        }
        return [
            route("POST", r"/accounts\.projects-v2-status", self._module_status),
            *(
                route("POST", rf"/projects-v2/projects\.{name}", handler)
                for name, handler in actions.items()
            ),
            route("POST", r"/customFieldDefinitions\.list", self._definitions_list),
        ]

    def _definitions_list(self, request: Request) -> SandboxResponse:
        """customFieldDefinitions.list: filter.context/ids, page.size/number; each definition
        {id, context, type, label, group, required, configuration.options[{id, value}]}."""
        body = request.json if isinstance(request.json, dict) else {}
        wanted = body.get("filter") or {}
        page = body.get("page") or {}
        size, number = page.get("size", 20), page.get("number", 1)
        if not (is_int(size) and is_int(number) and size >= 1 and number >= 1):
            return self._error(400, "page.size and page.number must be positive integers")
        rows = [
            {
                "id": ident,
                "context": "project",
                "type": d["type"],
                "label": d["label"],
                "group": None,
                "required": d["required"],
                "configuration": {
                    "options": [
                        {"id": f"{ident[:-2]}{i:02x}", "value": o}
                        for i, o in enumerate(d.get("options", []))
                    ]
                }
                if d.get("options")
                else None,
            }
            for ident, d in self._definitions.items()
        ]
        if wanted.get("context"):
            rows = [r for r in rows if r["context"] == wanted["context"]]
        if wanted.get("ids"):
            rows = [r for r in rows if r["id"] in wanted["ids"]]
        return json_response(200, {"data": rows[(number - 1) * size : number * size]})

    def _module_status(self, request: Request) -> SandboxResponse:
        # data.status is projects-v2 or legacy (teamleadercrm/api src/99-other/accounts.apib).
        return json_response(200, {"data": {"status": self.projects_module}})

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        token = bearer_token(headers)
        return token == self.credentials["access_token"] or self.oauth_token_valid(token)

    # ------------------------------------------------------------------ OAuth (accounts)

    def _oauth_error(self, status: int, error: str, description: str) -> SandboxResponse:
        # [?] Teamleader's documented `errors[]` envelope on the token endpoint too, with the
        # OAuth server's hint in `meta` (as third-party SDKs read it); not in Teamleader's docs.
        return json_response(
            status, {"errors": [{"title": description, "status": status, "meta": {"hint": error}}]}
        )

    def _error(self, status: int, message: str) -> SandboxResponse:
        # {"errors":[{"title", "status"}]} (teamleadercrm/api GUIDELINES.md); [?] titles: ours.
        return json_response(status, {"errors": [{"title": message, "status": status}]})

    def _count_request(self) -> bool:
        return self._window.hit(self.clock())

    def _rate_limit_headers(self) -> list[tuple[str, str]]:
        # Milliseconds, as the docs' example `2021-06-15T10:51:23.035+0100` (introduction.apib).
        reset = datetime.fromtimestamp(self._window.reset, UTC).isoformat(timespec="milliseconds")
        return [
            ("X-RateLimit-Limit", str(self._window.limit)),
            ("X-RateLimit-Remaining", str(self._window.remaining)),
            # An ISO datetime, not epoch: developer.focus.teamleader.eu/docs/general-principles
            ("X-RateLimit-Reset", reset),
        ]

    # ------------------------------------------------------------------ helpers

    def _bad(self, message: str) -> Abort:
        return Abort(self._error(400, message))

    def _body(self, request: Request) -> Json:
        if not isinstance(request.json, dict):
            raise self._bad("The request body must be a JSON object")
        return request.json

    def _find(self, body: Json) -> Json:
        ident = body.get("id")
        if not isinstance(ident, str) or not ident:
            raise self._bad("id is required")
        record = self._projects.get(ident)
        if record is None:
            # 404 for an unknown resource (github.com/teamleadercrm/api); [?] the title wording.
            raise Abort(self._error(404, f"Project {ident} not found"))
        return record

    def _today(self) -> date:
        return self.now().date()

    # ------------------------------------------------------------------ read

    def _info(self, request: Request) -> SandboxResponse:
        record = self._find(self._body(request))
        data = {k: copy.deepcopy(v) for k, v in record.items() if k not in _LIST_ONLY}
        includes = self._includes(request.json)
        if "legacy_project" in includes:
            data["legacy_project"] = None  # no corresponding legacy project
        return json_response(200, {"data": data})

    @staticmethod
    def _includes(body: Any) -> set[str]:
        raw = body.get("includes") if isinstance(body, dict) else None
        return {p.strip() for p in raw.split(",")} if isinstance(raw, str) else set()

    def _list(self, request: Request) -> SandboxResponse:
        body = request.json if isinstance(request.json, dict) else {}
        includes = self._includes(body)
        records = [r for r in self._projects.values() if self._matches(r, body.get("filter"))]
        records = self._sorted(records, body.get("sort"))
        page: Json = body["page"] if isinstance(body.get("page"), dict) else {}
        size, number = page.get("size", 20), page.get("number", 1)
        if not (is_number(size) and is_number(number) and size >= 1 and number >= 1):
            return self._error(400, "page.size and page.number must be positive numbers")
        # [?] the maximum page size is undocumented; none is enforced here.
        start = (int(number) - 1) * int(size)
        items = []
        for record in records[start : start + int(size)]:
            item = {k: copy.deepcopy(v) for k, v in record.items() if k not in _INFO_ONLY}
            if "custom_fields" not in includes:
                item.pop("custom_fields")
            if "legacy_project" in includes:
                item["legacy_project"] = None
            items.append(item)
        payload: Json = {"data": items}
        if "pagination" in includes:
            payload["meta"] = {"page": {"size": size, "number": number}, "matches": len(records)}
        return json_response(200, payload)

    def _matches(self, record: Json, filters: Any) -> bool:
        if not isinstance(filters, dict):
            return True
        ids = filters.get("ids")
        if isinstance(ids, list) and record["id"] not in ids:
            return False
        status = filters.get("status")
        if isinstance(status, str) and not self._status_matches(record, status):
            return False
        customers = filters.get("customers")
        if isinstance(customers, list) and not any(c in record["customers"] for c in customers):
            return False
        for key, field in (("deal_ids", "deals"), ("quotation_ids", "quotations")):
            wanted = filters.get(key)
            if isinstance(wanted, list) and not any(x["id"] in wanted for x in record[field]):
                return False
        term = filters.get("term")
        if isinstance(term, str) and term.strip():
            haystack = f"{record['project_key']} {record['title']}".lower()
            if not all(part in haystack for part in term.lower().split()):
                return False
        return True

    def _status_matches(self, record: Json, status: str) -> bool:
        today = self._today().isoformat()
        start, end = record["start_date"], record["end_date"]
        if status in ("open", "closed"):
            return bool(record["status"] == status)
        if record["status"] != "open":
            return False
        if status == "planned":
            return bool(start and start > today)
        if status == "running":
            return bool(start and start <= today and (end is None or end >= today))
        if status == "overdue":
            return bool(end and end < today)
        if status == "over_budget":
            budget, price = record["external_budget"], record["price"]
            return bool(budget and price and price["amount"] > budget["amount"])
        return True  # [?] unknown filter values ignored, per the third-party MCore teamleader-sdk

    @staticmethod
    def _sorted(records: list[Json], sort: Any) -> list[Json]:
        specs = sort if isinstance(sort, list) and sort else [{"field": "project_key"}]
        result = sorted(records, key=lambda r: r["project_key"], reverse=True)
        for spec in reversed(specs):
            field = spec.get("field") if isinstance(spec, dict) else None
            if not isinstance(field, str):
                continue
            reverse = spec.get("order", "desc" if field == "project_key" else "asc") == "desc"

            def key(record: Json, field: str = field) -> tuple[bool, Any]:
                value = record.get(field)
                if field in _SORTABLE_MONEY or field in ("time_budget", "time_tracked"):
                    value = value.get("amount", value.get("value")) if value else None
                if field == "customer":
                    value = record["customers"][0]["id"] if record["customers"] else None
                return (value is None, value if value is not None else 0)

            present = [r for r in result if key(r)[0] is False]
            missing = [r for r in result if key(r)[0] is True]
            present.sort(key=key, reverse=reverse)
            result = present + missing
        return result

    # ------------------------------------------------------------------ write

    def _create(self, request: Request) -> SandboxResponse:
        body = self._body(request)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            return self._error(400, "title is required")
        self._counter += 1
        project_id = f"a0000000-7e57-4d1e-9a1b-{self._counter:012x}"
        key = max((p["project_key"] for p in self._projects.values()), default=0) + 1
        record = self._blank(project_id, key, title)
        # [?] undocumented: the defaults on create (billing time_and_materials, color #00B2B2).
        billing = body.get("billing_method", "time_and_materials")
        if billing not in _BILLING:
            return self._error(400, "billing_method is invalid")
        record["billing_method"] = billing
        try:
            self._apply(record, {k: v for k, v in body.items() if k != "billing_method"})
            for owner in body.get("owner_ids") or []:
                self._add(record, "owners", self._ref_item("owners", owner))
            for kind, field in (("customers", "customers"), ("assignees", "assignees")):
                for item in body.get(kind) or []:
                    self._add(record, field, self._ref_item(field, item))
            for kind, field in (("deal_ids", "deals"), ("quotation_ids", "quotations")):
                for item in body.get(kind) or []:
                    self._add(record, field, self._ref_item(field, item))
        except _Bad as exc:
            return self._error(400, str(exc))
        self._projects[project_id] = record
        return json_response(201, {"data": {"type": "nextgenProject", "id": project_id}})

    def _update(self, request: Request) -> SandboxResponse:
        body = self._body(request)
        current = self._find(body)
        record = copy.deepcopy(current)
        try:
            self._apply(record, body)
        except _Bad as exc:
            return self._error(400, str(exc))
        self._projects[record["id"]] = record
        return empty_response(204)

    def _delete(self, request: Request) -> SandboxResponse:
        body = self._body(request)
        record = self._find(body)
        if body.get("delete_strategy") not in _DELETING:
            return self._error(400, f"delete_strategy must be one of {', '.join(_DELETING)}")
        del self._projects[record["id"]]
        return empty_response(204)

    def _close(self, request: Request) -> SandboxResponse:
        body = self._body(request)
        record = self._find(body)
        if body.get("closing_strategy") not in _CLOSING:
            return self._error(400, f"closing_strategy must be one of {', '.join(_CLOSING)}")
        record["status"] = "closed"  # [?] closing a closed project is a no-op
        return empty_response(204)

    def _reopen(self, request: Request) -> SandboxResponse:
        record = self._find(self._body(request))
        record["status"] = "open"
        return empty_response(204)

    def _link(self, field: str, arg: str, *, add: bool) -> Callable[[Request], SandboxResponse]:
        def handler(request: Request) -> SandboxResponse:
            body = self._body(request)
            record = self._find(body)
            if arg not in body:
                return self._error(400, f"{arg} is required")
            try:
                item = self._ref_item(field, body[arg])
            except _Bad as exc:
                return self._error(400, str(exc))
            # Idempotent: "Doesn't fail if … already added/removed" (github.com/teamleadercrm/api).
            if add:
                self._add(record, field, item)
            else:
                kept = [x for x in record[field] if self._same(field, x, item) is False]
                if field == "owners" and not kept:
                    # [?] no provider source: the project's own rule that a project keeps one
                    # owner (issue 11); Teamleader's docs say nothing either way.
                    return self._error(400, "a project must keep at least one owner")
                record[field] = kept
            return empty_response(204)

        return handler

    @staticmethod
    def _same(field: str, existing: Json, item: Json) -> bool:
        if field == "assignees":
            return bool(existing["assignee"] == item["assignee"])
        return bool(existing["type"] == item["type"] and existing["id"] == item["id"])

    def _add(self, record: Json, field: str, item: Json) -> None:
        if not any(self._same(field, x, item) for x in record[field]):
            record[field].append(item)

    def _ref_item(self, field: str, value: Any) -> Json:
        """Validate a reference; unknown ones are a 400 ("references non-existing resources")."""
        if field in ("customers", "assignees"):
            kinds = ("contact", "company") if field == "customers" else ("user", "team")
            if not isinstance(value, dict) or value.get("type") not in kinds:
                raise _Bad(f"{field[:-1]} must be an object with type {' or '.join(kinds)}")
            kind, ident = value["type"], value.get("id")
        else:
            kind = {"owners": "user", "deals": "deal", "quotations": "quotation"}[field]
            ident = value
        if not isinstance(ident, str) or ident not in self._known[kind]:
            raise _Bad(f"{kind} {ident} does not exist")
        ref = {"type": kind, "id": ident}
        if field == "assignees":
            return {"assignee": ref, "assign_type": "manual"}
        return ref

    # ------------------------------------------------------------------ validation

    def _apply(self, record: Json, body: Json) -> None:
        for key, value in body.items():
            handler = self._setters.get(key)
            if handler is not None:
                handler(self, record, key, value)
            # Unknown keys are silently ignored (third-party: MCore-Services-bv/teamleader-sdk).
        start, end = record["start_date"], record["end_date"]
        if start and end and start > end:
            raise _Bad("start_date must not be after end_date")
        method = record["billing_method"]
        if body.get("external_budget") is not None and method != "time_and_materials":
            raise _Bad("external_budget is only allowed for the time_and_materials billing method")
        if body.get("fixed_price") is not None and method != "fixed_price":
            raise _Bad("fixed_price is only allowed for the fixed_price billing method")

    def _set_title(self, record: Json, key: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise _Bad("title must be a non-empty string")
        record["title"] = value

    def _set_text(self, record: Json, key: str, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise _Bad(f"{key} must be a string or null")
        record[key] = value

    def _set_date(self, record: Json, key: str, value: Any) -> None:
        if value is not None and parse_ymd(value) is None:
            raise _Bad(f"{key} must be a date in YYYY-MM-DD format or null")
        record[key] = value

    def _set_money(self, record: Json, key: str, value: Any) -> None:
        if value is not None:
            record[key] = self._money(key, value)
        else:
            record[key] = None

    @staticmethod
    def _money(key: str, value: Any) -> Json:
        if not isinstance(value, dict) or not is_number(value.get("amount")):
            raise _Bad(f"{key} must be a Money object {{amount, currency}}")
        amount, currency = value["amount"], value.get("currency")
        if not 0 <= amount < 100_000_000_000:
            raise _Bad(f"{key}.amount must be >= 0 and < 100000000000")
        if currency not in _CURRENCIES:
            raise _Bad(f"{key}.currency is not a supported currency code")
        if key in ("external_budget", "fixed_price") and currency != "EUR":
            # EUR only: developer.focus.teamleader.eu/docs/api/nextgen-projects-update
            raise _Bad(f"{key}: currently only EUR is supported")
        return {"amount": amount, "currency": currency}

    def _set_time_budget(self, record: Json, key: str, value: Any) -> None:
        if value is None:
            record[key] = None
            return
        unit = value.get("unit") if isinstance(value, dict) else None
        if unit not in _UNIT_SECONDS or not is_number(value.get("value")) or value["value"] < 0:
            raise _Bad("time_budget must be {value, unit: hours|minutes|seconds}")
        # Info returns seconds, rounded to the nearest minute (spec description).
        seconds = round(value["value"] * _UNIT_SECONDS[unit] / 60) * 60
        record[key] = {"value": seconds, "unit": "seconds"}

    def _set_billing(self, record: Json, key: str, value: Any) -> None:
        if not isinstance(value, dict) or value.get("value") not in _BILLING:
            raise _Bad("billing_method must be {value, update_strategy}")
        strategy = value.get("update_strategy")
        if strategy not in ("none", "cascade"):
            raise _Bad("billing_method.update_strategy must be none or cascade")
        # Billing strategy rules: developer.focus.teamleader.eu/docs/api/nextgen-projects-update
        if value["value"] == "time_and_materials" and strategy != "none":
            raise _Bad("time_and_materials can only be set using update_strategy none")
        if value["value"] == "non_billable" and strategy != "cascade":
            raise _Bad("non_billable can only be set using update_strategy cascade")
        record["billing_method"] = value["value"]

    def _set_color(self, record: Json, key: str, value: Any) -> None:
        if value not in _COLORS:
            raise _Bad(f"color must be one of {', '.join(_COLORS)}")
        record["color"] = value

    def _set_department(self, record: Json, key: str, value: Any) -> None:
        if value is None:
            record["company_entity"] = None
        elif isinstance(value, str) and value in self._known["department"]:
            record["company_entity"] = {"type": "department", "id": value}
        else:
            raise _Bad(f"department {value} does not exist")

    def _set_initial(self, record: Json, key: str, value: Any) -> None:
        # Accepted and validated but not echoed: info has no initial_* fields.
        if value is not None and not isinstance(value, dict):
            raise _Bad(f"{key} must be an object or null")

    def _set_custom_fields(self, record: Json, key: str, value: Any) -> None:
        if not isinstance(value, list):
            raise _Bad("custom_fields must be an array")
        # v2 merges custom fields even without the partial strategy (bluemarker-be SDK live test).
        current = {cf["definition"]["id"]: cf for cf in record["custom_fields"]}
        for item in value:
            ident = item.get("id") if isinstance(item, dict) else None
            definition = self._definitions.get(ident) if isinstance(ident, str) else None
            if definition is None or not isinstance(ident, str):
                raise _Bad(f"custom field {ident} does not exist")
            new = item.get("value")
            if new is None:
                current.pop(ident, None)  # [?] undocumented: null removes the value
                continue
            self._check_custom(definition, ident, new)
            current[ident] = self._cf(ident, new)
        record["custom_fields"] = list(current.values())

    @staticmethod
    def _check_custom(definition: Json, ident: str, value: Any) -> None:
        kind = definition["type"]
        ok = {
            "single_line": isinstance(value, str),
            "number": is_number(value),
            "yes_no": isinstance(value, bool),
            "multiple_choice": isinstance(value, list)
            and all(v in definition.get("options", []) for v in value),
        }.get(kind, True)
        if not ok:
            raise _Bad(f"custom field {ident}: value does not match its type {kind}")

    _setters: dict[str, Callable[[TeamleaderSandbox, Json, str, Any], None]] = {
        "title": _set_title,
        "description": _set_text,
        "purchase_order_number": _set_text,
        "start_date": _set_date,
        "end_date": _set_date,
        "external_budget": _set_money,
        "internal_budget": _set_money,
        "fixed_price": _set_money,
        "time_budget": _set_time_budget,
        "billing_method": _set_billing,
        "color": _set_color,
        "company_entity_id": _set_department,
        "initial_time_tracked": _set_initial,
        "initial_price": _set_initial,
        "initial_cost": _set_initial,
        "initial_amount_billed": _set_initial,
        "initial_amount_paid": _set_initial,
        "custom_fields": _set_custom_fields,
    }

    # ------------------------------------------------------------------ bench helper

    def put_project(self, raw: dict[str, Any]) -> str:
        with self._lock:
            values = copy.deepcopy(raw)
            project_id = values.pop("id", None)
            if not isinstance(project_id, str):
                self._counter += 1
                project_id = f"a0000000-7e57-4d1e-9a1b-{self._counter:012x}"
            key = values.pop("project_key", None)
            if not isinstance(key, int):
                key = max((p["project_key"] for p in self._projects.values()), default=0) + 1
            record = self._blank(project_id, key, str(values.pop("title", f"Project {key}")))
            record.update(values)
            self._projects[project_id] = record
            return project_id


_LIST_ONLY = ("time_estimated", "amount_unbilled")


SANDBOX = TeamleaderSandbox
"""The emulator class `create_provider("teamleader")` instantiates."""
