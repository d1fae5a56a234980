"""The operations as flows: generators that yield provider requests and get responses back.

All validation, mapping and sequencing lives here, once; `SyncDriver` and `AsyncDriver` only
carry the requests. What can be checked without the provider is checked before the first
request; what needs provider data (a Capsule custom field's name, say) is checked after those
reads and before any write.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import ValidationError

from unifold import _errors as errors
from unifold._engine import changed_since, formats, inputs, transforms
from unifold._engine.connector import Connector, deep_merge, get_path, set_path
from unifold._engine.context import WriteContext
from unifold._engine.http import Flow, ProviderRequest, ProviderResponse
from unifold._idempotency import CreateKey
from unifold._matrix import (
    PAGE_NUMBER_STYLES,
    Concurrency,
    IdempotencyFind,
    IdempotencyMarker,
    Request,
)
from unifold._models import RequestModel, ResponseModel

RESPONSE_FORMATS = ("unified", "raw", "normalized", "stream")
RecordT = TypeVar("RecordT")


@dataclass
class CallOptions:
    response_format: str = "unified"
    ignore_remote_data: bool = False
    exclude_fields: tuple[str, ...] = ()
    remote_query: Mapping[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    updated_after: datetime | None = None  # aware, UTC; checked by changed_since.check


def flatten_query(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """`{"filter": {"name": "x"}}` -> `filter[name]=x`; lists repeat `key[]`; untransformed
    otherwise (`remote_query` goes to the provider as given)."""
    out: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(item, Mapping):
            out.extend(flatten_query(item, name))
        elif isinstance(item, list | tuple):
            for element in item:
                out.append((f"{name}[]", _text(element)))
        elif item is not None:  # None means "not set", not an empty value
            out.append((name, _text(item)))
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def check_options(conn: Connector, options: CallOptions) -> None:
    if options.remote_query is not None and not isinstance(options.remote_query, Mapping):
        raise errors.InvalidParameterError(
            f"remote_query must be a mapping such as {{'filter': {{'name': 'x'}}}}, not "
            f"{type(options.remote_query).__name__}",
            field="remote_query",
            integration=conn.name,
        )
    if options.remote_query:
        _check_remote_query(conn, options.remote_query)
    if not isinstance(options.ignore_remote_data, bool):
        raise errors.InvalidParameterError(
            f"ignore_remote_data must be True or False, not "
            f"{errors.shown(options.ignore_remote_data)}",
            field="ignore_remote_data",
            integration=conn.name,
            accepted=[True, False],
        )
    if options.response_format not in RESPONSE_FORMATS:
        raise errors.InvalidParameterError(
            f"response_format {errors.shown(options.response_format)} is not one of "
            f"{', '.join(RESPONSE_FORMATS)}",
            field="truto_response_format",
            integration=conn.name,
            accepted=list(RESPONSE_FORMATS),
        )
    if options.exclude_fields:
        formats.check_exclusions(options.exclude_fields, conn.name)


def _check_remote_query(conn: Connector, remote_query: Mapping[str, Any]) -> None:
    """JSON values only; for a query string also scalars in lists and a bounded length."""
    inputs.check_value(
        remote_query,
        "remote_query",
        conn.name,
        free_form=True,
        cls=errors.InvalidParameterError,
        field="remote_query",
    )
    requests = [op.request for op in conn.resource.operations.values()]
    if any(r.remote_query_in == "body" for r in requests):
        for request in requests:  # before any request, not when the body is built
            if request.remote_query_in == "body":
                _guard_id(conn, request, remote_query, "remote_query")
        return
    stack: list[Any] = [remote_query]
    while stack:
        item = stack.pop()
        children = list(item.values()) if isinstance(item, Mapping) else []
        for child in children:
            if isinstance(child, list | tuple):
                if any(isinstance(e, Mapping | list | tuple) for e in child):
                    raise errors.InvalidParameterError(
                        f"remote_query: a list in a query string holds plain values only "
                        f"({conn.name})",
                        field="remote_query",
                        integration=conn.name,
                    )
            elif isinstance(child, Mapping):
                stack.append(child)
    length = sum(len(k) + len(v) + 2 for k, v in flatten_query(remote_query))
    if length > inputs.MAX_QUERY_CHARS:
        raise errors.InvalidParameterError(
            f"remote_query: {length} characters in the query string; at most "
            f"{inputs.MAX_QUERY_CHARS} are accepted ({conn.name})",
            field="remote_query",
            integration=conn.name,
        )


def exclusions(conn: Connector, value: Any) -> tuple[str, ...]:
    """`exclude_fields` as a tuple of names: a string is one name, else an iterable of them."""
    if value == ():  # the default, on every call
        return ()
    if isinstance(value, str):
        return (value,)
    iterable = isinstance(value, Iterable) and not isinstance(value, bytes | Mapping)
    items = list(value) if iterable else None
    if items is None or not all(isinstance(item, str) for item in items):
        raise errors.InvalidParameterError(
            f"exclude_fields must be a list of unified field names such as ['owner.name'], "
            f"not {errors.shown(value)}",
            field="truto_exclude_fields",
            integration=conn.name,
        )
    return tuple(items)


def check_id(conn: Connector, resource_id: Any) -> str:
    text = resource_id if isinstance(resource_id, str) else None
    if text is None or not conn.provider.id_regex.fullmatch(text):
        pattern = conn.provider.id_pattern
        raise errors.InvalidIdError(
            f"id {errors.shown(resource_id)} is not a valid {conn.display_name} project id "
            f"(expected to match {pattern})",
            field="id",
            integration=conn.name,
            accepted=pattern,
        )
    return text


def _stale(guard: Concurrency, exc: errors.ProviderError) -> bool:
    if exc.status_code not in guard.stale_statuses:
        return False
    marker = guard.stale_message
    return marker is None or marker.lower() in exc.message.lower()


def _check_unchanged(conn: Connector, guard: Concurrency, before: Any, after: Any) -> None:
    paths = guard.compare
    if not paths:
        changed = [] if before == after else ["(the record)"]
    else:
        changed = [p for p in paths if get_path(before, p) != get_path(after, p)]
    if changed:
        raise errors.ConflictError(
            f"{conn.name}: the project changed at the provider while unifold prepared the write "
            f"({', '.join(changed)}); nothing was written: read it again and retry",
            integration=conn.name,
            fields=changed,
        )


def build_request(
    conn: Connector,
    spec: Request,
    label: str,
    resource_id: str | None = None,
    body: dict[str, Any] | None = None,
    extra_query: list[tuple[str, str]] | None = None,
    stream: bool = False,
    idempotent: bool = True,
    remote_query: Mapping[str, Any] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    safe: bool = False,
) -> ProviderRequest:
    path = spec.path
    if "{id}" in path:
        # Always one encoded path segment: `../parties/1` or `1?x=y` cannot reach elsewhere.
        path = path.replace("{id}", quote(str(resource_id), safe=""))
    in_body = spec.remote_query_in == "body"
    if in_body:
        _guard_id(conn, spec, remote_query, "remote_query")
    if remote_query and not in_body:
        extra_query = [*(extra_query or []), *flatten_query(remote_query)]
    query = spec.query_pairs
    if extra_query:
        # The caller's parameters replace the matrix's defaults of the same name (`embed`).
        given = {k for k, _ in extra_query}
        query = (*((k, v) for k, v in query if k not in given), *extra_query)
    wire: Any = None
    if body is not None or spec.id_in_body or spec.body or spec.method in ("POST", "PUT", "PATCH"):
        wire = {spec.envelope: body or {}} if spec.envelope else dict(body or {})
        if spec.id_in_body and resource_id is not None:
            key = spec.id_in_body
            wire[key] = int(resource_id) if spec.id_as == "integer" else resource_id
        for key, value in spec.body.items():
            # A copy: the spec is shared by every call, and a request's body is the caller's.
            wire.setdefault(key, copy.deepcopy(value) if isinstance(value, dict) else value)
        if remote_query and in_body:
            # RPC-style APIs take their parameters in the body: passed there, as given.
            deep_merge(wire, remote_query)
    return ProviderRequest(
        label=label,
        method=spec.method,
        path=path,
        query=tuple(query),
        json=wire,
        has_body=wire is not None,
        stream=stream,
        idempotent=idempotent,
        headers=headers,
        safe=safe,
    )


def unwrap(body: Any, envelope: str | None) -> Any:
    return get_path(body, envelope) if envelope else body


def to_record(conn: Connector, raw: Mapping[str, Any], options: CallOptions) -> ResponseModel:
    mapped = conn.read(raw)
    model: type[ResponseModel] = conn.model("Project")  # type: ignore[assignment]
    try:
        record = model.model_validate(mapped)
    except ValidationError as exc:
        record = _lenient(conn, model, mapped, raw, exc)
    if not options.ignore_remote_data and options.response_format != "normalized":
        # The provider's record as parsed from JSON: attached as is, not validated (copied)
        # again field by field.
        record.__dict__["remote_data"] = raw if isinstance(raw, dict) else dict(raw)
        record.__pydantic_fields_set__.add("remote_data")
    if options.exclude_fields:
        formats.apply_exclusions(record, options.exclude_fields)
    if options.warnings:
        record._set_warnings(options.warnings)
    return record


def _lenient(
    conn: Connector,
    model: type[ResponseModel],
    mapped: dict[str, Any],
    raw: Mapping[str, Any],
    exc: ValidationError,
) -> ResponseModel:
    """A provider value of an unexpected shape must not break a read: that field reads as None
    (the provider's value stays in `remote_data`). Only a record without an id is an error."""
    bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    if "id" in bad or not bad:
        raise errors.ProviderError(
            f"{conn.name} answered with a project record unifold cannot read (no usable id)",
            status_code=502,
            integration=conn.name,
            raw_response=dict(raw),
        ) from exc
    for name in bad:
        mapped[name] = None
    return model.model_validate(mapped)


def finish(
    conn: Connector, resp: ProviderResponse, envelope: str | None, options: CallOptions
) -> Any:
    if options.response_format == "stream":
        return resp
    if options.response_format == "raw":
        return resp.body()
    raw = unwrap(resp.json(), envelope)
    if not isinstance(raw, Mapping):
        raise errors.ProviderError(
            f"{conn.name} answered without a project record",
            status_code=502,
            integration=conn.name,
            raw_response=resp.body(),
        )
    record = to_record(conn, raw, options)
    if options.response_format == "normalized":
        return formats.normalized(record, options.warnings)
    return record


def _fetch(
    conn: Connector, name: str, resource_id: str, label: str = "", stream: bool = False
) -> ProviderRequest:
    fetch = conn.resource.fetches[name]
    return build_request(
        conn, fetch.request, label or f"fetch {name}", resource_id, stream=stream, safe=True
    )


# A paged fetch stops here whatever the provider says, so a broken Link cannot loop forever.
MAX_FETCH_PAGES = 100


def read_fetch(
    conn: Connector,
    name: str,
    resource_id: str | None,
    headers: dict[str, str] | None = None,
    label: str = "",
) -> Flow:
    """A fetch's unwrapped answer (its headers into `headers`); a paged fetch (Capsule's field
    definitions) reads every page at the largest size the provider allows and returns the
    items of all of them."""
    fetch = conn.resource.fetches[name]
    pagination = fetch.pagination
    if pagination is None:
        resp = yield _fetch(conn, name, resource_id or "", label)
        if headers is not None:
            headers.update({k.lower(): v for k, v in resp.headers.items()})
        return unwrap(resp.json(), fetch.envelope)
    items: list[Any] = []
    size = pagination.max_size
    for page in range(1, MAX_FETCH_PAGES + 1):
        params: dict[str, Any] = {pagination.size_param: size}
        if pagination.page_param:
            params[pagination.page_param] = page
        body: dict[str, Any] | None = None
        if pagination.params_in == "body":  # RPC-style (Teamleader): paged in the body
            body = {}
            for key, value in params.items():
                set_path(body, key, value)
        resp = yield build_request(
            conn,
            fetch.request,
            f"fetch {name} page {page}",
            resource_id,
            body=body,
            extra_query=None if body is not None else [(k, str(v)) for k, v in params.items()],
            safe=True,
        )
        chunk = unwrap(resp.json(), fetch.envelope)
        if isinstance(chunk, list):
            items.extend(chunk)
        if pagination.style == "page":
            if not isinstance(chunk, list) or len(chunk) < size:
                break
        elif not _has_next_link(resp):
            break
    return items


def _write_steps(steps: list[ProviderRequest], done: list[str] | None = None) -> Flow:
    """Send the write's calls in order; a failure after one was applied (this one's or the
    `done` ones before) raises PartialWriteError, an unusable answer to an accepted call
    WriteAppliedError."""
    applied: list[str] = list(done or [])
    first: ProviderResponse | None = None
    for index, step in enumerate(steps):
        try:
            resp = yield step
        except errors.ProviderError as exc:
            rest = [s.label for s in steps[index + 1 :]]
            if isinstance(exc, errors.ProviderResponseError) and exc.provider_accepted:
                raise errors.WriteAppliedError(exc, [*applied, step.label], rest) from exc
            if applied:
                raise errors.PartialWriteError(
                    exc, applied, step.label, [s.label for s in steps[index + 1 :]]
                ) from exc
            raise
        except GeneratorExit:
            raise
        except BaseException as exc:  # cancelled (or timed out) while this call was in flight
            progress = errors.WriteProgress(
                list(applied), step.label, [s.label for s in steps[index + 1 :]]
            )
            exc.unifold_write_progress = progress  # type: ignore[attr-defined]
            exc.add_note(
                f"unifold: the write was interrupted; applied {progress.applied or 'nothing'}, "
                f"in flight (effect unknown) {progress.in_flight!r}, not applied "
                f"{progress.not_applied}"
            )
            raise
        if first is None:
            first = resp
        applied.append(step.label)
    return first, applied


def _guard_id(conn: Connector, request: Request, given: Any, name: str) -> None:
    """Passthrough data goes as is, except the key that addresses the record: an id in the body
    (Insightly `PROJECT_ID`, Teamleader `id`) must not send the call to another project."""
    key = request.id_in_body
    # Any case: a case-insensitive binder (Insightly's is .NET) would read `project_id` too.
    if (
        key
        and isinstance(given, Mapping)
        and any(isinstance(k, str) and k.casefold() == key.casefold() for k in given)
    ):
        cls = (
            errors.InvalidFieldValueError if name == "remote_data" else errors.InvalidParameterError
        )
        raise cls(
            f"{name}.{key}: the project id comes from the call's id argument; {name} cannot "
            f"change it ({conn.name})",
            field=f"{name}.{key}" if name == "remote_data" else name,
            integration=conn.name,
        )


def _write(
    conn: Connector,
    operation: str,
    data: RequestModel,
    resource_id: str | None,
    options: CallOptions,
    key: CreateKey | None = None,
    marker: IdempotencyMarker | None = None,
) -> Flow:
    plan = conn.operations[operation]
    spec = plan.spec
    fetched: dict[str, Any] = {}
    current_headers: dict[str, str] = {}
    for name in conn.needs(operation, set(data.__pydantic_fields_set__)):
        assert resource_id is not None
        fetched[name] = yield from read_fetch(conn, name, resource_id, current_headers)
    ctx = WriteContext(conn.name, operation, resource_id, body={}, fetched=fetched)
    conn.write(operation, data, ctx)
    if key is not None and marker and marker.to not in ctx.body:
        set_path(ctx.body, marker.to, marker.prefix + key.key)  # how a lost create is found
    # A write built from a read of the record must not undo an edit made since that read.
    guard = conn.resource.concurrency if "current" in fetched else None
    precondition: tuple[tuple[str, str], ...] = ()
    if guard and guard.style == "etag":
        assert guard.etag_header and guard.precondition_header  # the model's validator
        tag = current_headers.get(guard.etag_header.lower())
        if tag:
            precondition = ((guard.precondition_header, tag),)
    elif guard:
        assert resource_id is not None
        again = yield from read_fetch(
            conn, "current", resource_id, label="re-read the project before writing"
        )
        _check_unchanged(conn, guard, fetched["current"], again)
    read_back = spec.response.read_back
    stream_main = options.response_format == "stream" and not read_back and not ctx.calls
    main = build_request(
        conn,
        spec.request,
        f"{spec.request.method} {spec.request.path}",
        resource_id,
        body=ctx.body,
        remote_query=options.remote_query,
        stream=stream_main,
        idempotent=operation != "create",
        headers=precondition,
    )
    if ctx.remote_data:
        deep_merge(main.json, ctx.remote_data)
    calls = [
        ProviderRequest(c.label, c.method, c.path, json=c.json, has_body=c.json is not None)
        for c in ctx.calls
    ]
    try:
        resp, applied = yield from _write_steps([main, *calls])
    except errors.ProviderError as exc:
        if precondition and guard and _stale(guard, exc):
            raise errors.ConflictError(
                f"{conn.name}: project {resource_id} changed since unifold read it (the "
                f"provider refused the stale {guard.precondition_header}); nothing was "
                f"written: read it again and retry",
                integration=conn.name,
            ) from exc
        raise
    envelope = spec.response.envelope
    if key is not None and not main.stream:
        try:
            record = unwrap(resp.json(), envelope)
        except errors.ProviderError:
            record = None  # an unusable answer to an accepted create: reported below
        new = get_path(record, conn.resource.record["id"].path or "id")
        if new is not None and new != "":
            key.done(str(new))  # before anything else can fail
    if read_back:
        new_id = resource_id
        if new_id is None:
            try:
                new_id = _created_id(conn, resp, envelope)
            except errors.ProviderError as exc:
                raise errors.WriteAppliedError(exc, applied) from exc
        label = "read back the project"
        stream = options.response_format == "stream"
        envelope = conn.resource.fetches[read_back].envelope
        if ctx.after:
            # Calls that depend on the stored record (Teamleader: drop the owner the provider
            # added on its own), then the record is read again.
            try:
                first = yield _fetch(conn, read_back, new_id, label)
            except errors.ProviderError as exc:
                raise errors.WriteAppliedError(exc, applied) from exc
            record = unwrap(first.json(), envelope)
            settle = [
                ProviderRequest(c.label, c.method, c.path, json=c.json, has_body=c.json is not None)
                for after in ctx.after
                for c in after(new_id, record if isinstance(record, Mapping) else {})
            ]
            _, applied = yield from _write_steps(settle, applied)
            if not settle and not stream:
                try:
                    return finish(conn, first, envelope, options)
                except errors.ProviderError as exc:
                    raise errors.WriteAppliedError(exc, applied) from exc
        try:
            resp = yield _fetch(conn, read_back, new_id, label, stream)
        except errors.ProviderError as exc:
            # Every write call went through; only reading the result failed.
            raise errors.WriteAppliedError(exc, applied) from exc
    try:
        return finish(conn, resp, envelope, options)
    except errors.ProviderError as exc:
        raise errors.WriteAppliedError(exc, applied) from exc


def _created_id(conn: Connector, resp: ProviderResponse, envelope: str | None) -> str:
    found = get_path(resp.json(), f"{envelope}.id" if envelope else "id")
    if not isinstance(found, str | int) or isinstance(found, bool) or found == "":
        raise errors.ProviderResponseError(
            f"{conn.name} answered the create without the new project's id",
            provider_status=resp.status_code,
            integration=conn.name,
            raw_response=resp.body(),
        )
    return str(found)


def module_check_flow(conn: Connector, on_ok: Callable[[], None]) -> Flow:
    """Ask the account which API module it uses (Teamleader: projects-v2 or legacy), once,
    before its first project call; a module unifold does not target is refused."""
    check = conn.provider.module_check
    assert check is not None  # asked only for an integration that has one
    try:
        resp = yield build_request(conn, check.request, "check the account's API module", safe=True)
    except (errors.ProviderNotFoundError, errors.ProviderValidationError):
        found = check.expected  # an account that cannot answer predates the switch: go on
    else:
        found = get_path(resp.json(), check.path)
    if found != check.expected:
        raise errors.UnsupportedModuleError(
            f"{conn.name}: this account uses the {found!r} API module; unifold supports "
            f"{check.expected!r} only ({check.request.path} answered {found!r})",
            field=check.path,
            integration=conn.name,
            accepted=check.expected,
        )
    on_ok()


def update_flow(
    conn: Connector, resource_id: str, data: RequestModel, options: CallOptions
) -> Flow:
    _guard_remote_data(conn, "update", data)
    return _write(conn, "update", data, resource_id, options)


# Failures after which a create may or may not have been made.
UNCLEAR = (errors.ProviderServerError, errors.ProviderConnectionError)


def create_flow(
    conn: Connector, data: RequestModel, options: CallOptions, key: CreateKey | None = None
) -> Flow:
    _guard_remote_data(conn, "create", data)  # now, before any request
    return _create(conn, data, options, key)


def _create(
    conn: Connector, data: RequestModel, options: CallOptions, key: CreateKey | None = None
) -> Flow:
    """A create; with a key, one that is never made twice where the matrix says how to find
    what an unclear attempt made (`create.idempotency`)."""
    if key is None:
        return (yield from _write(conn, "create", data, None, options))
    spec = conn.resource.operations["create"].idempotency
    find = spec.find if spec is not None else None
    if key.known_id is not None:  # this key already made it
        return (yield from get_flow(conn, key.known_id, options))
    if key.unclear_since is not None:
        if not find:
            raise errors.UnclearCreateError(
                f"{conn.name}: an earlier create with idempotency_key {key.key!r} got no clear "
                f"answer, and {conn.display_name} offers no way to find what it may have made; "
                f"nothing was sent. Check the account, then create with a new key",
                integration=conn.name,
                key=key.key,
            )
        found = yield from _find_created(conn, find, data, key, key.unclear_since)
        if found is not None:
            key.done(found)
            return (yield from get_flow(conn, found, options))
    marker = spec.marker if spec is not None else None
    for attempt in (1, 2):
        try:
            return (yield from _write(conn, "create", data, None, options, key=key, marker=marker))
        except UNCLEAR as exc:
            key.unclear()
            if not find or attempt == 2:
                raise
            try:
                found = yield from _find_created(
                    conn, find, data, key, key.unclear_since or key.started
                )
            except errors.ProviderError:
                raise exc from None  # the create's own failure is the one to report
            if found is not None:
                key.done(found)
                return (yield from get_flow(conn, found, options))
            # Not made: the same create again, with the same key.
        except errors.WriteAppliedError:
            key.unclear()  # made, but its id could not be read: found by the key next time
            raise
        except errors.ProviderError:
            key.refused()  # a clear refusal: nothing was made
            raise
    raise AssertionError("unreachable")


# A provider's clock and ours may differ: records created this long before the attempt count.
CLOCK_SLACK = 60.0


def _find_created(
    conn: Connector, find: IdempotencyFind, data: RequestModel, key: CreateKey, since: float
) -> Flow:
    """The id of the project an unclear create with this key made, or None."""
    name = str(getattr(data, "name", "") or "")
    start = since - CLOCK_SLACK
    values = {
        "key": key.key,
        "name": name,
        "since": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    request = find.request
    path = request.path.format(**{k: quote(v, safe="") for k, v in values.items()})
    query = tuple((k, v.format(**values)) for k, v in request.query_pairs)
    try:
        resp = yield ProviderRequest(
            "look for the project an unclear create may have made",
            request.method,
            path,
            query,
            safe=True,
        )
    except errors.ProviderNotFoundError:
        return None
    body = unwrap(resp.json(), find.envelope)
    for record in body if isinstance(body, list) else [body]:
        if not isinstance(record, Mapping):
            continue
        if find.name and get_path(record, find.name) != name:
            continue
        if find.created:
            created = _instant(get_path(record, find.created))
            if created is None or created < start:
                continue
        found = get_path(record, find.id)
        if found is not None and found != "":
            return str(found)
    return None


def _instant(value: Any) -> float | None:
    text = transforms.READ["datetime"](value)
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _guard_remote_data(conn: Connector, operation: str, data: RequestModel) -> None:
    """Checked when the flow is built, so before any request (a module check included)."""
    request = conn.operations[operation].spec.request
    _guard_id(conn, request, getattr(data, "remote_data", None), "remote_data")


def get_flow(conn: Connector, resource_id: str, options: CallOptions) -> Flow:
    spec = conn.resource.operations["get"]
    resp = yield build_request(
        conn,
        spec.request,
        f"GET project {resource_id}",
        resource_id,
        remote_query=options.remote_query,
        stream=options.response_format == "stream",
        safe=True,
    )
    return finish(conn, resp, spec.response.envelope, options)


def delete_flow(conn: Connector, resource_id: str, options: CallOptions) -> Flow:
    spec = conn.resource.operations["delete"]
    resp = yield build_request(
        conn,
        spec.request,
        f"DELETE project {resource_id}",
        resource_id,
        remote_query=options.remote_query,
        stream=options.response_format == "stream",
    )
    if options.response_format in ("raw", "stream"):
        return resp if options.response_format == "stream" else resp.body()
    return {"id": resource_id}


@dataclass
class Page(Generic[RecordT]):
    """One page of `list`: Truto's envelope `{result, next_cursor, result_count}`. `result`
    holds the integration's `Project`s (or `NormalizedRecord`s for `normalized`)."""

    result: list[RecordT]
    next_cursor: str | None
    result_count: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        result = [
            r.model_dump(mode="json", exclude_unset=True) if hasattr(r, "model_dump") else r
            for r in self.result
        ]
        return {
            "result": result,
            "next_cursor": self.next_cursor,
            "result_count": self.result_count,
        }


def _decode_cursor(conn: Connector, cursor: str | None) -> dict[str, Any]:
    if cursor is None:
        return {}
    if not isinstance(cursor, str):
        raise errors.InvalidParameterError(
            f"next_cursor must be the string a previous page returned, not {type(cursor).__name__}",
            field="next_cursor",
            integration=conn.name,
        )
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        state = None
    if not isinstance(state, dict) or state.get("i") != conn.name or not _sane(state):
        raise errors.InvalidParameterError(
            f"next_cursor {errors.shown(cursor)} is not a cursor from a {conn.name} list call",
            field="next_cursor",
            integration=conn.name,
        )
    return state


def _sane(state: dict[str, Any]) -> bool:
    def count(key: str, low: int) -> bool:
        value = state.get(key, low)
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    return (
        count("page", 1)
        and count("offset", 0)
        and count("size", 1)
        and (isinstance(state.get("after", ""), str))
        and (isinstance(state.get("u", ""), str))
    )


def _cursor_since(conn: Connector, state: dict[str, Any], given: datetime | None) -> Any:
    """A cursor remembers its `updated_after`: the next page may omit it, not change it."""
    if "u" not in state:
        return given
    try:
        remembered = datetime.fromisoformat(state["u"])
    except ValueError:
        remembered = None
    if remembered is None or (given is not None and given != remembered):
        raise errors.InvalidParameterError(
            f"updated_after differs from the one this cursor was made with "
            f"({state['u']}); keep it, or start without a cursor",
            field="updated_after",
            integration=conn.name,
        )
    return remembered


def _encode_cursor(conn: Connector, state: dict[str, Any]) -> str:
    raw = json.dumps({"i": conn.name, **state}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _with_since(state: dict[str, Any], since: datetime | None) -> dict[str, Any]:
    return {**state, "u": since.isoformat()} if since is not None else state


def _has_next_link(resp: ProviderResponse) -> bool:
    link = resp.headers.get("link") or ""
    return any('rel="next"' in part or "rel=next" in part for part in link.split(","))


def list_flow(
    conn: Connector, options: CallOptions, limit: int | None, next_cursor: str | None
) -> Flow:
    spec = conn.resource.operations["list"]
    pagination = spec.pagination
    assert pagination is not None  # the matrix schema requires one on `list`
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise errors.InvalidParameterError(
            f"limit must be a positive integer, not {limit!r}",
            field="limit",
            integration=conn.name,
        )
    state = _decode_cursor(conn, next_cursor)
    style = pagination.style
    size = min(limit or state.get("size") or pagination.max_size, pagination.max_size)
    if style in PAGE_NUMBER_STYLES and state.get("size") not in (None, size):
        # Page numbers only mean something at the size they were counted in.
        raise errors.InvalidParameterError(
            f"limit {limit} differs from the page size {state['size']} this cursor was made "
            f"with; {conn.name} pages by number, so keep the limit (or start without a cursor)",
            field="limit",
            integration=conn.name,
        )
    # The model's validator guarantees each style's parameter names.
    params: dict[str, Any] = {pagination.size_param: size}
    if style in PAGE_NUMBER_STYLES:
        params[str(pagination.page_param)] = state.get("page", 1)
    elif style == "offset":
        params[str(pagination.offset_param)] = state.get("offset", 0)
    elif state.get("after"):
        params[str(pagination.cursor_param)] = state["after"]
    request_spec = spec.request
    since = options.updated_after = _cursor_since(conn, state, options.updated_after)
    if since is not None:
        filter_params, filter_request = changed_since.push_down(spec, since)
        params.update(filter_params)
        request_spec = filter_request
    remote = options.remote_query or {}
    if spec.request.remote_query_in == "body":
        given = {str(k) for k in remote}
        controlled = {str(p).split(".")[0] for p in params}
    else:
        given = {k for k, _ in flatten_query(remote)}
        controlled = {str(p) for p in params}
    clash = sorted(given & controlled)
    if clash:
        raise errors.InvalidParameterError(
            f"remote_query cannot set {', '.join(clash)}: unifold sets it from limit, "
            f"next_cursor and updated_after ({conn.name})",
            field="remote_query",
            integration=conn.name,
        )
    body: dict[str, Any] | None = None
    query: list[tuple[str, str]] = []
    if pagination.params_in == "body":
        body = {}
        for key, value in params.items():
            set_path(body, key, value)
    else:
        query = [(k, str(v)) for k, v in params.items()]
    request = build_request(
        conn,
        request_spec,
        "list projects",
        body=body,
        extra_query=query,
        stream=options.response_format == "stream",
        remote_query=options.remote_query,
        safe=True,
    )
    # Everything above runs now, so a bad argument fails before anything is sent (and before
    # `iter` returns); the page itself is fetched when the flow runs.
    return _list_page(conn, options, request, state, size)


def _list_page(
    conn: Connector,
    options: CallOptions,
    request: ProviderRequest,
    state: dict[str, Any],
    size: int,
) -> Flow:
    spec = conn.resource.operations["list"]
    pagination = spec.pagination
    assert pagination is not None
    style = pagination.style
    since = options.updated_after
    resp = yield request
    if options.response_format in ("raw", "stream"):
        return resp if options.response_format == "stream" else resp.body()
    payload = resp.json()
    records = unwrap(payload, spec.response.envelope)
    if not isinstance(records, list):
        raise errors.ProviderError(
            f"{conn.name} answered a list call without a list of records",
            status_code=502,
            integration=conn.name,
            raw_response=resp.body(),
        )
    next_state: dict[str, Any] | None = None
    if style == "cursor":
        assert pagination.has_more_path and pagination.next_cursor_path
        if get_path(payload, pagination.has_more_path) and (
            after := get_path(payload, pagination.next_cursor_path)
        ):
            next_state = {"after": after}
    elif style == "link_header":
        if _has_next_link(resp):
            next_state = {"page": state.get("page", 1) + 1}
    elif len(records) >= size:
        if style == "page":
            next_state = {"page": state.get("page", 1) + 1}
        else:
            next_state = {"offset": state.get("offset", 0) + len(records)}
    result: list[Any] = []
    skipped = 0
    changed_at = conn.read_changed_at if since is not None else None
    for raw in records:
        if not isinstance(raw, Mapping):
            skipped += 1
            continue
        if changed_at is not None and since is not None:
            # Exact on our side too: the provider's filter may be coarser (seconds) or absent.
            if not changed_since.keep(changed_at(raw, conn.hooks), since):
                continue
        try:
            record = to_record(conn, raw, options)
        except errors.ProviderError:
            skipped += 1  # one unreadable record must not cost the caller the whole page
            continue
        result.append(
            formats.normalized(record, options.warnings)
            if options.response_format == "normalized"
            else record
        )
    warnings = list(options.warnings)
    if skipped:
        warnings.append(
            f"skipped {skipped} record(s) {conn.name} returned without a usable id "
            f"(see response_format='raw')"
        )
    return Page[Any](
        warnings=warnings,
        result=result,
        next_cursor=_encode_cursor(conn, _with_since({**next_state, "size": size}, since))
        if next_state
        else None,
        result_count=len(result),
    )
