"""Truto's meta endpoint for one account: `GET /unified/crm/projects/meta/{method}
?integrated_account_id=...` (truto.one/docs/api-reference/unified-api/unified-model-docs):
the unified fields the account's integration supports for that method, plus the account's own
custom fields as the provider describes them (`projects.fields()`, cached a minute)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unifold import _errors as errors
from unifold.server.context import ServerContext
from unifold.server.query import parse_query

_ACCEPTED = ("integrated_account_id", "refresh")


async def project_meta(request: Request) -> Response:
    context: ServerContext = request.app.state.context
    params = parse_query(request.scope["query_string"])
    unknown = sorted(set(params) - set(_ACCEPTED))
    if unknown:
        raise errors.InvalidParameterError(
            f"unknown query parameter(s) {', '.join(unknown)} for projects meta; accepted: "
            f"{', '.join(_ACCEPTED)}",
            field=unknown[0],
            fields=unknown,
            accepted=list(_ACCEPTED),
        )
    account_id = params.get("integrated_account_id")
    if not isinstance(account_id, str) or not account_id:
        raise errors.InvalidParameterError(
            "integrated_account_id is required: the id of the integrated account to use",
            field="integrated_account_id",
        )
    refresh = params.get("refresh", "false")
    if refresh not in ("true", "false"):
        raise errors.InvalidParameterError(
            f"refresh must be true or false, not {refresh!r}",
            field="refresh",
            accepted=["true", "false"],
        )
    await context.visible_account(request.state.tenant, account_id)
    fields = await context.client.crm.projects.fields(
        integrated_account_id=account_id, refresh=refresh == "true"
    )
    method = request.path_params["method"]
    operation = fields.operations.get(method)
    if operation is None:
        raise errors.InvalidParameterError(
            f"{fields.integration} projects have no method {method!r}; they have "
            f"{', '.join(sorted(fields.operations))}",
            field="method",
            integration=fields.integration,
            accepted=sorted(fields.operations),
        )
    body = {
        "method": method,
        "integration": fields.integration,
        "request_body_fields": operation.get("request", {}),
        "response_fields": operation.get("response", []),
        "custom_fields": [f.model_dump(mode="json") for f in fields.custom_fields],
        "custom_fields_read_at": fields.fetched_at.isoformat(),
    }
    return JSONResponse(body)


routes = [Route("/unified/crm/projects/meta/{method}", project_meta, methods=["GET"])]
