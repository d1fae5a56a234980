"""Hand-written bases of the generated resource clients (the generation gap for the client tree).

The generator writes the typed classes (`unifold.generated.crm.client.Projects` for any account,
`unifold.generated.crm.<integration>.Projects` for one integration, each with an async twin):
their methods carry the signatures and `@overload`s and call `_run` here, which prepares the
operation (`_Core.prepare`: every check before any request) and hands the flow to the client's
sync or async driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from unifold import _errors as errors
from unifold._engine.http import ProviderResponse
from unifold._streams import AsyncProviderStream, ProviderStream

if TYPE_CHECKING:
    from pydantic import BaseModel

    from unifold._client import AsyncUnifold, Unifold


class _Resource:
    RESOURCE: ClassVar[str] = ""
    # None: any integration's account (the unified surface); else only that integration's.
    INTEGRATION: ClassVar[str | None] = None


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
        account, conn, flow, call = self._client._core.prepare(
            self.RESOURCE,
            operation,
            self.INTEGRATION,
            integrated_account_id,
            response_format,
            options,
            resource_id=resource_id,
            body=body,
        )
        result = self._client._driver(account, conn).run(flow)
        if call.response_format == "stream" and isinstance(result, ProviderResponse):
            return ProviderStream(result.stream, call.warnings)
        return result


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
        account, conn, flow, call = self._client._core.prepare(
            self.RESOURCE,
            operation,
            self.INTEGRATION,
            integrated_account_id,
            response_format,
            options,
            resource_id=resource_id,
            body=body,
        )
        result = await self._client._driver(account, conn).run(flow)
        if call.response_format == "stream" and isinstance(result, ProviderResponse):
            return AsyncProviderStream(result.stream, call.warnings)
        return result


class CrmBase:
    """What `uf.crm` has besides the generated resources: the support table."""

    @staticmethod
    def support(integration: str | None = None) -> dict[str, Any]:
        """The field-support table, as data: per integration, resource and operation, the
        request fields (required, nullable, enum values, max items) and the response fields.
        A meta endpoint in Python; no account needed."""
        from unifold.generated.crm.support import SUPPORT

        if integration is None:
            return SUPPORT
        if integration not in SUPPORT:
            raise errors.UnifoldValidationError(
                f"unknown integration {integration!r}; available: {', '.join(sorted(SUPPORT))}",
                field="integration",
                accepted=sorted(SUPPORT),
            )
        return SUPPORT[integration]
