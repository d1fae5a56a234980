"""The unified surface, typed: overloads on response_format, unknown keywords refused."""

from typing import reveal_type

from unifold import Unifold
from unifold.generated.crm import capsule
from unifold.types import Project


def unified(uf: Unifold, acct: str) -> None:
    reveal_type(uf.crm.projects)  # reveal: unifold.generated.crm.client.Projects
    p = uf.crm.projects.update("1", {"name": "x"}, integrated_account_id=acct)
    reveal_type(p)  # reveal: unifold.generated.crm.unified.Project
    reveal_type(p.close_date)  # reveal: str | None
    n = uf.crm.projects.get("1", integrated_account_id=acct, response_format="normalized")
    reveal_type(n)  # reveal: unifold._engine.formats.NormalizedRecord
    r = uf.crm.projects.get("1", integrated_account_id=acct, response_format="raw")
    reveal_type(r)  # reveal: dict[str, Any] | list[Any] | str | int | float | None
    s = uf.crm.projects.get("1", integrated_account_id=acct, response_format="stream")
    reveal_type(s)  # reveal: unifold._streams.ProviderStream
    page = uf.crm.projects.list(integrated_account_id=acct, limit=10)
    reveal_type(page)  # reveal: unifold._engine.flows.Page[unifold.generated.crm.unified.Project]
    reveal_type(uf.crm.projects.delete("1", integrated_account_id=acct))  # reveal: TypedDict(unifold.types.DeletedRecord, {'id': str})


def typo_keyword(uf: Unifold, acct: str) -> None:
    uf.crm.projects.update("1", {}, integrated_account_id=acct, respnse_format="raw")  # error: Unexpected keyword argument "respnse_format"


def unknown_format(uf: Unifold, acct: str) -> None:
    uf.crm.projects.get("1", integrated_account_id=acct, response_format="xml")  # error: [call-overload]


def option_of_another_operation(uf: Unifold, acct: str) -> None:
    uf.crm.projects.get("1", integrated_account_id=acct, limit=3)  # error: Unexpected keyword argument "limit"


def one_annotation_for_any_integration(uf: Unifold, acct: str) -> Project:
    specific: capsule.Project = uf.crm.capsule.projects.get("1", integrated_account_id=acct)
    return specific  # every integration's Project is a unified Project
