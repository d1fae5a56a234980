"""Query strings as Truto's clients encode them (the `qs` bracket convention).

`a[b][c]=x` is `{"a": {"b": {"c": "x"}}}`, `a[]=x&a[]=y` and `a[0]=x&a[1]=y` are lists,
a repeated plain key is a list too. Anything else (unbalanced brackets, a key that is both a
value and an object, bad percent-encoding, too deep, too many) is an `InvalidParameterError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from unifold import _errors as errors

MAX_DEPTH = 5  # qs's default
MAX_PARAMS = 1000  # qs's default parameterLimit
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()


def _bad(message: str, name: str) -> errors.InvalidParameterError:
    return errors.InvalidParameterError(message, field=name)


def _path(key: str) -> list[Any]:
    match = _KEY.fullmatch(key)
    if match is None:
        raise _bad(
            f"query parameter {key!r} is not well-formed: use name, name[key] or name[] "
            "(brackets balanced, nothing after the last bracket)",
            key,
        )
    segments: list[Any] = [match.group(1)]
    for segment in _SEGMENT.findall(match.group(2)):
        segments.append(_APPEND if segment == "" else segment)
    if len(segments) > MAX_DEPTH + 1:
        raise _bad(f"query parameter {key!r} nests deeper than {MAX_DEPTH} levels", key)
    return segments


def _as_list(node: dict[str, Any]) -> list[Any] | None:
    """A dict whose keys are exactly 0..n-1 came from `a[0]=..&a[1]=..`: a list."""
    if node and all(k.isdigit() for k in node):
        indices = sorted(int(k) for k in node)
        if indices == list(range(len(indices))):
            return [node[str(i)] for i in indices]
    return None


def _finish(node: Any) -> Any:
    if isinstance(node, dict):
        done = {k: _finish(v) for k, v in node.items()}
        listed = _as_list(done)
        return listed if listed is not None else done
    if isinstance(node, list):
        return [_finish(v) for v in node]
    return node


def parse_query(raw: bytes | str) -> dict[str, Any]:
    """The nested structure a query string encodes, values as strings."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")  # a raw query string is ASCII; %-escapes carry the rest
        except UnicodeDecodeError:
            raise _bad("the query string must be ASCII with %-escapes", "query") from None
    try:
        pairs = parse_qsl(
            raw,
            keep_blank_values=True,
            strict_parsing=False,
            errors="strict",
            max_num_fields=MAX_PARAMS,
        )
    except UnicodeDecodeError:
        raise _bad("the query string has %-escapes that are not UTF-8", "query") from None
    except ValueError:
        raise _bad(f"the query string has more than {MAX_PARAMS} parameters", "query") from None
    root: dict[str, Any] = {}
    for key, value in pairs:
        path = _path(key)
        node: Any = root
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            name = path[0]
            if segment is _APPEND:
                if not isinstance(node, list):
                    raise _bad(f"query parameter {name!r} mixes [] with other forms", name)
                if not last:
                    raise _bad(f"query parameter {key!r}: [] must come last", name)
                node.append(value)
                break
            if not isinstance(node, dict):
                raise _bad(f"query parameter {name!r} mixes [] with keyed forms", name)
            if last:
                existing = node.get(segment)
                if existing is None:
                    node[segment] = value
                elif isinstance(existing, str):
                    node[segment] = [existing, value]
                elif isinstance(existing, list) and all(isinstance(v, str) for v in existing):
                    existing.append(value)
                else:
                    raise _bad(f"query parameter {name!r} is both a value and an object", name)
                break
            child_is_list = path[depth + 1] is _APPEND
            child = node.get(segment)
            if child is None:
                child = node[segment] = [] if child_is_list else {}
            elif isinstance(child, str):
                raise _bad(f"query parameter {name!r} is both a value and an object", name)
            elif isinstance(child, list) != child_is_list:
                raise _bad(f"query parameter {name!r} mixes [] with keyed forms", name)
            node = child
    return {k: _finish(v) for k, v in root.items()}


# What each operation of /unified/crm/projects takes (the served spec says the same).
_COMMON = ("integrated_account_id", "truto_response_format", "remote_query")
_SHAPING = ("truto_ignore_remote_data", "truto_exclude_fields")
ACCEPTED = {
    "list": (*_COMMON, *_SHAPING, "limit", "next_cursor"),
    "get": (*_COMMON, *_SHAPING),
    "create": (*_COMMON, *_SHAPING),
    "update": (*_COMMON, *_SHAPING),
    "delete": _COMMON,
}
FORMATS = ("unified", "raw", "normalized", "stream")


@dataclass
class ProjectQuery:
    """The unified query parameters, typed; `options()` are the library call's keywords."""

    integrated_account_id: str
    response_format: str = "unified"
    ignore_remote_data: bool = False
    exclude_fields: list[str] = field(default_factory=list)
    remote_query: dict[str, Any] | None = None
    limit: int | None = None
    next_cursor: str | None = None

    def options(self, operation: str) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "integrated_account_id": self.integrated_account_id,
            "response_format": self.response_format,
            "remote_query": self.remote_query,
        }
        if operation != "delete":
            kw["ignore_remote_data"] = self.ignore_remote_data
            kw["exclude_fields"] = tuple(self.exclude_fields)
        if operation == "list":
            kw["limit"] = self.limit
            kw["next_cursor"] = self.next_cursor
        return kw


def _scalar(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _bad(f"{name} must be given once, as a plain value ({name}=...)", name)


def _boolean(params: dict[str, Any], name: str) -> bool:
    value = _scalar(params, name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise errors.InvalidParameterError(
            f"{name} must be true or false, not {value!r}", field=name, accepted=["true", "false"]
        )
    return value == "true"


def _string_list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, str):  # `name=a,b`: the comma-separated form some Truto docs use
        return [part for part in value.split(",") if part]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise _bad(f"{name} must be a list of names: {name}[]=a&{name}[]=b", name)


def project_query(params: dict[str, Any], operation: str) -> ProjectQuery:
    accepted = ACCEPTED[operation]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise errors.InvalidParameterError(
            f"unknown query parameter(s) {', '.join(unknown)} for projects.{operation}; "
            f"accepted: {', '.join(accepted)}",
            field=unknown[0],
            fields=unknown,
            accepted=list(accepted),
        )
    account = _scalar(params, "integrated_account_id")
    if not account:
        raise errors.InvalidParameterError(
            "integrated_account_id is required: the id of the integrated account to use",
            field="integrated_account_id",
        )
    response_format = _scalar(params, "truto_response_format") or "unified"
    if response_format not in FORMATS:
        raise errors.InvalidParameterError(
            f"truto_response_format must be one of {', '.join(FORMATS)}, not {response_format!r}",
            field="truto_response_format",
            accepted=list(FORMATS),
        )
    remote_query = params.get("remote_query")
    if remote_query is not None and not isinstance(remote_query, dict):
        raise _bad(
            "remote_query must be an object: remote_query[name]=value "
            "(nested: remote_query[filter][name]=value)",
            "remote_query",
        )
    query = ProjectQuery(
        integrated_account_id=account,
        response_format=response_format,
        ignore_remote_data=_boolean(params, "truto_ignore_remote_data"),
        exclude_fields=_string_list(params, "truto_exclude_fields"),
        remote_query=remote_query,
        next_cursor=_scalar(params, "next_cursor"),
    )
    limit = _scalar(params, "limit")
    if limit is not None:
        # Any positive integer (the library caps it at the provider's page size).
        if not re.fullmatch(r"[0-9]{1,100}", limit) or int(limit) < 1:
            raise _bad(f"limit must be a positive integer, not {limit!r}", "limit")
        query.limit = int(limit)
    return query
