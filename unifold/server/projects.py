"""`/unified/crm/projects`: each route parses Truto's query, checks the tenant owns the
account, and makes the one library call it stands for."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unifold.server.body import read_json_object
from unifold.server.context import ServerContext
from unifold.server.query import ProjectQuery, parse_query, project_query
from unifold.server.responses import result_response


async def _query(request: Request, operation: str) -> tuple[ServerContext, ProjectQuery]:
    context: ServerContext = request.app.state.context
    query = project_query(parse_query(request.scope["query_string"]), operation)
    await context.visible_account(request.state.tenant, query.integrated_account_id)
    return context, query


async def _body(request: Request) -> dict[str, Any]:
    context: ServerContext = request.app.state.context
    return await read_json_object(request, context.max_body_bytes)


async def list_projects(request: Request) -> Response:
    context, query = await _query(request, "list")
    result = await context.client.crm.projects.list(**query.options("list"))
    return result_response(result)


async def create_project(request: Request) -> Response:
    context, query = await _query(request, "create")
    body = await _body(request)
    result = await context.client.crm.projects.create(body, **query.options("create"))
    return result_response(result, status=201)


async def get_project(request: Request) -> Response:
    context, query = await _query(request, "get")
    project_id = request.path_params["id"]
    result = await context.client.crm.projects.get(project_id, **query.options("get"))
    return result_response(result)


async def update_project(request: Request) -> Response:
    context, query = await _query(request, "update")
    body = await _body(request)
    project_id = request.path_params["id"]
    result = await context.client.crm.projects.update(project_id, body, **query.options("update"))
    return result_response(result)


async def delete_project(request: Request) -> Response:
    context, query = await _query(request, "delete")
    project_id = request.path_params["id"]
    result = await context.client.crm.projects.delete(project_id, **query.options("delete"))
    return result_response(result)


routes = [
    Route("/unified/crm/projects", list_projects, methods=["GET"]),
    Route("/unified/crm/projects", create_project, methods=["POST"]),
    Route("/unified/crm/projects/{id}", get_project, methods=["GET"]),
    Route("/unified/crm/projects/{id}", update_project, methods=["PATCH"]),
    Route("/unified/crm/projects/{id}", delete_project, methods=["DELETE"]),
]
