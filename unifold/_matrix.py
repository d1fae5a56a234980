"""The field-support matrix format: one YAML file per integration in `openapi/integrations/`.

A matrix is data. It says, per operation, which unified request fields an integration writes,
requires and accepts (enum values), where each one goes in the provider's body, which unified
response fields come back and where from, plus the provider's API facts. Only real
transformations name a hook; the hook is a method of the integration's hand-written class.

Validation is strict (`extra="forbid"` everywhere) so a typo is an error naming the key path.

One schema for both sides: the generator validates the YAML with it, and each generated module
holds its matrix as a `Matrix` (`SPEC`, built from the non-default values only).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OPERATIONS = ("list", "get", "create", "update", "delete")
# The operations with a request body (`fields:`): the rest take an id or nothing.
REQUEST_OPERATIONS = ("create", "update")
HTTP_METHODS = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
IDENTIFIER = r"^[a-z][a-z0-9_]*$"

# Declarative value conversions the runtime knows (`unifold/_engine/transforms.py`; a test
# keeps the two name sets equal).
WriteTransform = Literal[
    "string",
    "integer",
    "number",
    "date",  # YYYY-MM-DD
    "datetime_utc_z",  # 2024-01-31T00:00:00Z
    "datetime_space",  # 2024-01-31 00:00:00 (UTC, Insightly bodies)
    "ref_id",  # {id, name} -> id
    "ref_id_int",  # {id, name} -> int(id)
    "ref_object",  # {id, name} -> {"id": id}
    "ref_object_int",  # {id, name} -> {"id": int(id)}
]
ReadTransform = Literal[
    "string",
    "number",
    "datetime",  # any provider date or date-time -> ISO 8601 UTC with Z
    "uri_id",  # absolute relation URI -> its last path segment
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str, what: str) -> str:
    """A pattern that compiles (a bad one is a named input error, not a raw `re.error`)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{what} {value!r} is not a valid regular expression ({exc})") from None
    return value


# Pagination styles: how a list (or a paged fetch) moves on. Page numbers count at a fixed size.
PaginationStyle = Literal["page", "offset", "cursor", "link_header"]
PAGE_NUMBER_STYLES: tuple[PaginationStyle, ...] = ("page", "link_header")
# Styles a paged fetch (read in full, all pages) can follow: no cursor state to keep.
FETCH_PAGINATION_STYLES: tuple[PaginationStyle, ...] = PAGE_NUMBER_STYLES
# The unified record field a flow reads alone (client-side `updated_after` filtering): the
# generator emits `read_<record>_<field>` for it, so the runtime never interprets the matrix.
CHANGE_TIME_FIELD = "updated_at"


class ProviderParam(_Strict):
    description: str
    pattern: str
    example: str
    default: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _regex(value, "pattern")
        if not (value.startswith("^") and value.endswith("$")):
            raise ValueError("must be anchored with ^ and $")
        return value


class Credential(_Strict):
    description: str


class Auth(_Strict):
    scheme: Literal["bearer", "basic"]
    credentials: dict[str, Credential]
    # For basic auth: which credential is the username and which the password (None = blank).
    username: str | None = None
    password: str | None = None
    token: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Auth:
        names = set(self.credentials)
        if self.scheme == "bearer":
            if self.token not in names:
                raise ValueError(f"bearer auth needs `token` naming one of {sorted(names)}")
        else:
            if self.username not in names:
                raise ValueError(f"basic auth needs `username` naming one of {sorted(names)}")
            if self.password is not None and self.password not in names:
                raise ValueError(f"`password` must name one of {sorted(names)} or be omitted")
        return self


class Budget(_Strict):
    """A documented request budget: at most `limit` requests per `per_seconds`."""

    limit: int = Field(ge=1)
    per_seconds: float = Field(gt=0)


class RateLimit(_Strict):
    # Proactive pacing: every budget holds at once (Insightly: per second and per day).
    budgets: list[Budget] = []
    limit: str | None = None
    remaining: str | None = None
    reset: str | None = None
    reset_format: Literal["epoch_seconds", "iso_datetime", "seconds"] | None = None
    # The period the `remaining` header counts when no reset header says when it rolls over
    # (Insightly: a day). A 429 with nothing remaining then waits up to this long.
    remaining_window_seconds: int | None = Field(default=None, gt=0)
    source: str


class Errors(_Strict):
    # Dotted paths tried in order to find a human message in the provider's error body.
    message_paths: list[str] = Field(min_length=1)
    validation_statuses: list[int] = [400, 422]
    # What other statuses mean at this provider (Insightly 417 "Delete failed"), for messages.
    meanings: dict[int, str] = {}
    source: str


class Provider(_Strict):
    docs: str
    base_url: str
    params: dict[str, ProviderParam] = {}
    auth: Auth
    id_pattern: str = Field(description="A valid project id at this provider")
    # Ids of related records (owner, account, ...); the project id pattern when omitted.
    ref_id_pattern: str | None = None
    rate_limit: RateLimit
    errors: Errors
    module_check: ModuleCheck | None = None

    @cached_property
    def id_regex(self) -> re.Pattern[str]:
        return re.compile(self.id_pattern)

    @cached_property
    def ref_id_regex(self) -> re.Pattern[str]:
        """Ids of related records: `ref_id_pattern`, else the project id pattern."""
        return re.compile(self.ref_id_pattern or self.id_pattern)

    @model_validator(mode="after")
    def _params_used(self) -> Provider:
        placeholders = set(re.findall(r"{(\w+)}", self.base_url))
        if placeholders != set(self.params):
            raise ValueError(
                f"base_url placeholders {sorted(placeholders)} must match params "
                f"{sorted(self.params)}"
            )
        _regex(self.id_pattern, "id_pattern")
        if self.ref_id_pattern is not None:
            _regex(self.ref_id_pattern, "ref_id_pattern")
        return self


class Request(_Strict):
    method: HTTP_METHODS
    path: str
    query: dict[str, str] = {}
    # Body key that wraps the record (Capsule's `kase`); None = bare record.
    envelope: str | None = None
    # Where the project id goes besides the path, e.g. Insightly's `PROJECT_ID` in the body.
    id_in_body: str | None = None
    id_as: Literal["string", "integer"] = "string"
    # Fixed body members (Teamleader's `delete_strategy`).
    body: dict[str, str | int | bool | dict[str, Any]] = {}
    # Where `remote_query` goes: the query string, or the JSON body of RPC-style APIs whose
    # parameters live there (Teamleader).
    remote_query_in: Literal["query", "body"] = "query"

    @cached_property
    def query_pairs(self) -> tuple[tuple[str, str], ...]:
        """`query` as the (name, value) pairs a request carries, made once."""
        return tuple((k, str(v)) for k, v in self.query.items())


class ModuleCheck(_Strict):
    """A call that tells whether the account uses the API module this matrix targets
    (Teamleader: `accounts.projects-v2-status`); made once per account before other calls."""

    request: Request
    path: str  # dotted path to the answer in the response body
    expected: str
    source: str


class Pagination(_Strict):
    style: PaginationStyle
    size_param: str
    max_size: int
    cursor_param: str | None = None
    page_param: str | None = None
    offset_param: str | None = None
    next_cursor_path: str | None = None
    params_in: Literal["query", "body"] = "query"
    has_more_path: str | None = None
    source: str

    @model_validator(mode="after")
    def _style_params(self) -> Pagination:
        needs: dict[PaginationStyle, list[str]] = {
            "page": ["page_param"],
            "link_header": ["page_param"],
            "offset": ["offset_param"],
            "cursor": ["cursor_param", "next_cursor_path", "has_more_path"],
        }
        needed = needs[self.style]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"style '{self.style}' needs {missing}")
        return self


class Response(_Strict):
    status: list[int] = Field(min_length=1)
    envelope: str | None = None  # dotted path to the record (or list) in the body
    # Unified fields this operation returns; they must exist in the resource's `record` map.
    fields: list[str] = []
    # Name of a fetch to run after the write to return the stored record (Teamleader answers 204).
    read_back: str | None = None
    note: str | None = None


class WriteField(_Strict):
    """Where one unified request field goes. Exactly one of `to`, `hook` and `merge`."""

    to: str | None = None  # dotted provider path inside the record
    transform: WriteTransform | None = None
    enum: dict[str, str | int] | None = None  # unified value -> provider value
    hook: str | None = Field(default=None, pattern=IDENTIFIER)
    needs: list[str] = []  # fetches the hook reads before the write
    merge: bool = False  # remote_data: deep-merged into the provider body as is
    required: bool = False
    max_items: int | None = Field(default=None, ge=1)  # arrays the provider caps (Capsule: one)
    nullable: bool = True
    not_nullable_reason: str | None = None
    # The wire paths a hook sets in the body (`custom`), so overlaps with other writers are
    # found at generation.
    writes: list[str] = []
    # How this writer combines with another one whose wire path overlaps: "merge" = it writes
    # into the object the other one (earlier in the matrix) builds, so it runs after it.
    combine: Literal["merge"] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> WriteField:
        targets = [self.to is not None, self.hook is not None, self.merge]
        if sum(targets) != 1:
            raise ValueError("give exactly one of `to`, `hook` or `merge: true`")
        if self.needs and self.hook is None:
            raise ValueError("`needs` only applies to a `hook`")
        if self.writes and self.hook is None:
            raise ValueError("`writes` only applies to a `hook` (a `to` names its own path)")
        if not self.nullable and not self.not_nullable_reason:
            raise ValueError("`nullable: false` needs `not_nullable_reason` (shown to users)")
        return self


class ReadField(_Strict):
    """Where one unified response field comes from. Exactly one of `path`, `ref`, `each`, `hook`."""

    path: str | None = None
    transform: ReadTransform | None = None
    enum: dict[str, str] | None = None  # provider value (as text) -> unified value
    ref: dict[str, str] | None = None  # {"id": provider path, "name": provider path}
    ref_transform: ReadTransform | None = None  # applied to the ref's id
    each: str | None = None  # provider list path; items mapped with `ref` (paths per item)
    hook: str | None = Field(default=None, pattern=IDENTIFIER)
    note: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ReadField:
        if self.each is not None:
            if self.ref is None:
                raise ValueError("`each` needs `ref` to map each item")
        elif sum([self.path is not None, self.ref is not None, self.hook is not None]) != 1:
            raise ValueError("give exactly one of `path`, `ref`, `each` (with `ref`) or `hook`")
        if self.ref is not None and "id" not in self.ref:
            raise ValueError("`ref` needs an `id` path")
        return self


ChangeTimeFormat = Literal["iso_z", "space_utc"]  # 2024-01-31T09:00:00Z | 2024-01-31 09:00:00


class ChangedSince(_Strict):
    """The provider's own changed-since filter on `list` (`updated_after=` is pushed down to it)."""

    param: str  # query parameter, or a dotted path in the body when pagination is in the body
    format: ChangeTimeFormat
    path: str | None = None  # the endpoint that takes the filter, when not the list path
    extra: dict[str, str] = {}  # fixed companions of the filter (Pipeliner's filter-op)
    source: str


class IdempotencyMarker(_Strict):
    """A provider field the create sets to `prefix` + the idempotency key (unless given)."""

    to: str
    prefix: str


class IdempotencyFind(_Strict):
    """How to find the project an unclear create may have made. `request` may use `{key}`,
    `{name}` (the project name) and `{since}` (ISO UTC, the first attempt's start)."""

    request: Request
    envelope: str | None = None
    id: str  # dotted path of the id in each record found
    name: str | None = None  # records must carry the requested name here
    created: str | None = None  # ...and have been created at or after the attempt


class Idempotency(_Strict):
    marker: IdempotencyMarker | None = None
    find: IdempotencyFind | None = None
    source: str


class Operation(_Strict):
    request: Request
    response: Response
    fields: dict[str, WriteField] = {}  # request body fields (create, update)
    pagination: Pagination | None = None  # list
    idempotency: Idempotency | None = None  # create: finding what an unclear create made
    changed_since: ChangedSince | None = None  # list
    # Cross-field rules (create, update): hooks called in this order with the validated body,
    # before anything is sent (Capsule: a project needs a main party).
    checks: list[Annotated[str, Field(pattern=IDENTIFIER)]] = []
    note: str | None = None

    @cached_property
    def changed_since_request(self) -> Request:
        """The request of a list filtered on change time: at the filter's own endpoint when it
        names one (`changed_since.path`), else the list's."""
        if self.changed_since is None or self.changed_since.path is None:
            return self.request
        # Validated anew (not `model_copy`, which would carry over cached derived values).
        return Request.model_validate(
            {**self.request.model_dump(exclude_defaults=True), "path": self.changed_since.path}
        )


class Fetch(_Strict):
    """A provider read a hook may need (the current record, definitions, ...)."""

    request: Request
    envelope: str | None = None
    # A paged list (Capsule's field definitions): every page is read, at the largest size.
    pagination: Pagination | None = None

    @field_validator("pagination")
    @classmethod
    def _followed(cls, value: Pagination | None) -> Pagination | None:
        if value is not None and value.style not in FETCH_PAGINATION_STYLES:
            raise ValueError(
                "a paged fetch is followed by its Link header (style link_header) or by page "
                "number until a short page (style page)"
            )
        return value


class Concurrency(_Strict):
    """How a write built from a read of the record (`needs: [current]`) is kept from losing an
    edit made in between: the provider's precondition (`etag`), else a re-read right before
    the write compared with the first read (`reread`)."""

    style: Literal["etag", "reread"]
    etag_header: str | None = None  # etag: the response header carrying the record's tag
    precondition_header: str | None = None  # etag: the request header that sends it back
    stale_statuses: list[int] = []  # etag: answers that may mean the tag is stale...
    stale_message: str | None = None  # ...when their message says so
    compare: list[str] = []  # reread: dotted paths compared (empty: the whole record)
    source: str

    @model_validator(mode="after")
    def _complete(self) -> Concurrency:
        if self.style == "etag" and not (
            self.etag_header and self.precondition_header and self.stale_statuses
        ):
            raise ValueError("etag needs etag_header, precondition_header and stale_statuses")
        return self


class CustomFieldDefinitions(_Strict):
    """How an account's custom field definitions read (`projects.fields()`): the fetch that
    lists them and the dotted paths of each definition's parts."""

    fetch: str  # a name in `fetches` (paged there if the provider pages them)
    name: str  # the key `custom_fields` takes
    type: str
    label: str | None = None
    id: str | None = None
    options: str | None = None  # the list of choices
    option_value: str | None = None  # inside each choice, when choices are objects
    required: str | None = None  # a boolean
    keep: dict[str, str] = {}  # only definitions whose path has this value (Planhat parent)
    name_prefix: str | None = None  # only definitions whose name starts with it
    source: str


class Resource(_Strict):
    record: dict[str, ReadField]
    fetches: dict[str, Fetch] = {}
    custom_field_definitions: CustomFieldDefinitions | None = None
    operations: dict[str, Operation]
    concurrency: Concurrency | None = None

    @model_validator(mode="after")
    def _definitions_fetch(self) -> Resource:
        wanted = self.custom_field_definitions
        if wanted is not None and wanted.fetch not in self.fetches:
            raise ValueError(
                f"custom_field_definitions.fetch {wanted.fetch!r} is not one of the fetches "
                f"{sorted(self.fetches)}"
            )
        return self

    @field_validator("operations")
    @classmethod
    def _known_operations(cls, value: dict[str, Operation]) -> dict[str, Operation]:
        unknown = sorted(set(value) - set(OPERATIONS))
        if unknown:
            raise ValueError(f"unknown operations {unknown}; expected some of {list(OPERATIONS)}")
        for name, op in value.items():
            if op.fields and name not in REQUEST_OPERATIONS:
                raise ValueError(f"{name}.fields: only create and update take request fields")
            if op.checks and name not in REQUEST_OPERATIONS:
                raise ValueError(
                    f"{name}.checks: only operations with a body ({', '.join(REQUEST_OPERATIONS)})"
                    f" have checks"
                )
        if "list" in value and value["list"].pagination is None:
            raise ValueError("`list` needs `pagination` (how the provider pages its list)")
        return value


class Matrix(_Strict):
    integration: str = Field(pattern=IDENTIFIER)
    display_name: str
    hooks_class: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    provider: Provider
    resources: dict[str, Resource]

    @model_validator(mode="after")
    def _one_kind_per_hook(self) -> Matrix:
        mixed = sorted(name for name, kinds in self.hook_kinds().items() if len(kinds) > 1)
        if mixed:
            raise ValueError(
                f"hook(s) {', '.join(mixed)} named as more than one kind (read, write, check); "
                f"give each use its own method"
            )
        return self

    def hook_kinds(self) -> dict[str, set[str]]:
        """Every hook the matrix names, with what it is used as: "read" (a record field),
        "write" (a request field) or "check" (an operation's rule)."""
        kinds: dict[str, set[str]] = {}
        for resource in self.resources.values():
            for read in resource.record.values():
                if read.hook:
                    kinds.setdefault(read.hook, set()).add("read")
            for op in resource.operations.values():
                for write in op.fields.values():
                    if write.hook:
                        kinds.setdefault(write.hook, set()).add("write")
                for check in op.checks:
                    kinds.setdefault(check, set()).add("check")
        return kinds

    def support(self) -> dict[str, Any]:
        """The field-support table, as public data: per resource and operation, the request
        fields (required, nullable, max items, enum values), the response fields and whether
        the answer is read back; names sorted, whatever the matrix's order. Built fresh on each
        call (callers may keep or change it)."""
        table: dict[str, Any] = {}
        for res_name, resource in self.resources.items():
            table[res_name] = {
                op_name: {
                    "request": {
                        field: {
                            "required": spec.required,
                            "nullable": spec.nullable,
                            "max_items": spec.max_items,
                            "enum": sorted(spec.enum) if spec.enum is not None else None,
                        }
                        for field, spec in sorted(op.fields.items())
                    },
                    "response": sorted(set(op.response.fields) | {"id"})
                    + (["remote_data"] if op_name != "delete" else []),
                    "read_back": op.response.read_back is not None,
                }
                for op_name, op in sorted(resource.operations.items())
            }
        return table

    def hook_names(self) -> set[str]:
        """Every hook the matrix names: the methods its hooks class must have."""
        return set(self.hook_kinds())
