"""Hand-written bases of the generated resource clients (the generation gap for the client tree).

The generator writes the typed classes (`unifold.generated.crm.client.Projects` for any account,
`unifold.generated.crm.<integration>.Projects` for one integration, each with an async twin):
their methods carry the signatures and `@overload`s and call `_run` / `_iter` here, which prepare
the operation (`_Core.prepare`: every check before any request) and hand the flow to the
client's sync or async driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from unifold import _errors as errors
from unifold._engine import telemetry
from unifold._engine.connector import Connector
from unifold._engine.discovery import ProjectFields, definitions_flow
from unifold._engine.http import Flow, ProviderResponse
from unifold._streams import AsyncProviderStream, ProviderStream

if TYPE_CHECKING:
    from pydantic import BaseModel

    from unifold._accounts import IntegratedAccount
    from unifold._client import AsyncUnifold, Unifold, _ClientBase
    from unifold._engine.flows import CallOptions

Prepared = tuple["IntegratedAccount", "Connector", Flow, "CallOptions"]
ITER_FORMATS = ("unified", "normalized")


class _Resource:
    RESOURCE: ClassVar[str] = ""
    # None: any integration's account (the unified surface); else only that integration's.
    INTEGRATION: ClassVar[str | None] = None
    _client: _ClientBase

    def _prepare(
        self,
        operation: str,
        integrated_account_id: str,
        response_format: str,
        options: Mapping[str, Any],
        resource_id: str | None = None,
        body: Mapping[str, Any] | BaseModel | None = None,
    ) -> Prepared:
        return self._client._core.prepare(
            self.RESOURCE,
            operation,
            self.INTEGRATION,
            integrated_account_id,
            response_format,
            options,
            resource_id=resource_id,
            body=body,
        )

    def _first_page(
        self, integrated_account_id: str, response_format: str, options: Mapping[str, Any]
    ) -> Prepared:
        """`iter` checks its arguments when called, before the first page is fetched."""
        if response_format not in ITER_FORMATS:
            raise errors.InvalidParameterError(
                f"iter yields records, so response_format must be 'unified' or 'normalized', "
                f"not {response_format!r} (use list for raw pages)",
                field="response_format",
                accepted=list(ITER_FORMATS),
            )
        return self._prepare("list", integrated_account_id, response_format, options)

    def _fields_plan(
        self, integrated_account_id: str, refresh: bool
    ) -> tuple[IntegratedAccount, Connector, ProjectFields | None]:
        core = self._client._core
        account, conn = core.usable_account(integrated_account_id, self.INTEGRATION, self.RESOURCE)
        return account, conn, None if refresh else core.fields_cache.get(account)


class SyncResource(_Resource):
    def __init__(self, client: Unifold) -> None:
        self._client = client

    def _run(
        self,
        operation: str,
        integrated_account_id: str,
        response_format: str,
        options: Mapping[str, Any],
        *,
        resource_id: str | None = None,
        body: Mapping[str, Any] | BaseModel | None = None,
    ) -> Any:
        account, conn, flow, call = self._prepare(
            operation, integrated_account_id, response_format, options, resource_id, body
        )
        policy = self._client._policy_for(options)
        with telemetry.operation(account.integration, f"{self.RESOURCE}.{operation}"):
            result = self._client._runner(account, conn, policy).run(flow)
        if call.response_format == "stream" and isinstance(result, ProviderResponse):
            return ProviderStream(result.stream, call.warnings)
        return result

    def _fields(self, integrated_account_id: str, refresh: bool) -> ProjectFields:
        account, conn, cached = self._fields_plan(integrated_account_id, refresh)
        if cached is not None:
            return cached
        with telemetry.operation(account.integration, f"{self.RESOURCE}.fields"):
            found = self._client._runner(account, conn).run(definitions_flow(conn))
        fields: ProjectFields = self._client._core.fields_cache.put(account, conn, found)
        return fields

    def _iter(
        self, integrated_account_id: str, response_format: str, options: Mapping[str, Any]
    ) -> Iterator[Any]:
        first = self._first_page(integrated_account_id, response_format, options)
        return self._records(first, integrated_account_id, response_format, options)

    def _records(
        self, prepared: Prepared, account_id: str, response_format: str, options: Mapping[str, Any]
    ) -> Iterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            with telemetry.operation(account.integration, f"{self.RESOURCE}.list"):
                page = self._client._runner(account, conn, self._client._policy_for(options)).run(
                    flow
                )
            yield from page.result
            cursor = page.next_cursor
            if not cursor:
                return
            del page  # one page in memory at a time
            prepared = self._prepare(
                "list", account_id, response_format, {**options, "next_cursor": cursor}
            )


class AsyncResource(_Resource):
    def __init__(self, client: AsyncUnifold) -> None:
        self._client = client

    async def _run(
        self,
        operation: str,
        integrated_account_id: str,
        response_format: str,
        options: Mapping[str, Any],
        *,
        resource_id: str | None = None,
        body: Mapping[str, Any] | BaseModel | None = None,
    ) -> Any:
        account, conn, flow, call = self._prepare(
            operation, integrated_account_id, response_format, options, resource_id, body
        )
        policy = self._client._policy_for(options)
        with telemetry.operation(account.integration, f"{self.RESOURCE}.{operation}"):
            result = await self._client._runner(account, conn, policy).run(flow)
        if call.response_format == "stream" and isinstance(result, ProviderResponse):
            return AsyncProviderStream(result.stream, call.warnings)
        return result

    async def _fields(self, integrated_account_id: str, refresh: bool) -> ProjectFields:
        account, conn, cached = self._fields_plan(integrated_account_id, refresh)
        if cached is not None:
            return cached
        with telemetry.operation(account.integration, f"{self.RESOURCE}.fields"):
            found = await self._client._runner(account, conn).run(definitions_flow(conn))
        fields: ProjectFields = self._client._core.fields_cache.put(account, conn, found)
        return fields

    def _iter(
        self, integrated_account_id: str, response_format: str, options: Mapping[str, Any]
    ) -> AsyncIterator[Any]:
        first = self._first_page(integrated_account_id, response_format, options)
        return self._records(first, integrated_account_id, response_format, options)

    async def _records(
        self, prepared: Prepared, account_id: str, response_format: str, options: Mapping[str, Any]
    ) -> AsyncIterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            policy = self._client._policy_for(options)
            with telemetry.operation(account.integration, f"{self.RESOURCE}.list"):
                page = await self._client._runner(account, conn, policy).run(flow)
            for record in page.result:
                yield record
            cursor = page.next_cursor
            if not cursor:
                return
            del page
            prepared = self._prepare(
                "list", account_id, response_format, {**options, "next_cursor": cursor}
            )


class CrmBase:
    """What `uf.crm` has besides the generated resources: the support table."""

    @staticmethod
    def support(integration: str | None = None) -> dict[str, Any]:
        """The field-support table, as data: per integration, resource and operation, the
        request fields (required, nullable, enum values, max items) and the response fields.
        A meta endpoint in Python; no account needed."""
        from unifold.generated.crm.registry import INTEGRATIONS, load

        if integration is None:
            return {name: load(name).SPEC.support() for name in INTEGRATIONS}
        if integration not in INTEGRATIONS:
            raise errors.UnifoldValidationError(
                f"unknown integration {integration!r}; available: "
                f"{', '.join(sorted(INTEGRATIONS))}",
                field="integration",
                accepted=sorted(INTEGRATIONS),
            )
        return load(integration).SPEC.support()
