"""Generated per-integration clients: their own models, their own fields."""

from typing import reveal_type

from unifold import Unifold
from unifold.generated.crm import capsule, planhat


def capsule_client(uf: Unifold, acct: str) -> None:
    reveal_type(uf.crm.capsule.projects)  # reveal: unifold.generated.crm.capsule.Projects
    p = uf.crm.capsule.projects.update("1", {"name": "x", "status": "closed"}, integrated_account_id=acct)
    reveal_type(p)  # reveal: unifold.generated.crm.capsule.Project
    body = capsule.ProjectUpdate(name="x")
    reveal_type(uf.crm.capsule.projects.update("1", body, integrated_account_id=acct))  # reveal: unifold.generated.crm.capsule.Project
    c = uf.crm.capsule.projects.create({"name": "x", "account": {"id": "7"}}, integrated_account_id=acct)
    reveal_type(c)  # reveal: unifold.generated.crm.capsule.Project
    page = uf.crm.capsule.projects.list(integrated_account_id=acct)
    reveal_type(page.result)  # reveal: list[unifold.generated.crm.capsule.Project]


def unsupported_field_in_dict_body(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.update("1", {"owner": {"id": "5"}}, integrated_account_id=acct)  # error: No overload variant of "update" of "Projects" matches argument types "str", "dict[str, dict[str, str]]"


def supported_elsewhere(uf: Unifold, acct: str) -> None:
    uf.crm.teamleader.projects.update("1", {"name": "x", "owner": {"id": "5"}}, integrated_account_id=acct)


def wrong_value_type(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.update("1", {"name": 42}, integrated_account_id=acct)  # error: No overload variant of "update" of "Projects" matches argument types "str", "dict[str, int]"


def enum_value_not_supported(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.update("1", {"status": "deferred"}, integrated_account_id=acct)  # error: No overload variant of "update" of "Projects" matches argument types "str", "dict[str, str]"


def null_the_provider_cannot_take(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.update("1", {"name": None}, integrated_account_id=acct)  # error: No overload variant of "update" of "Projects" matches argument types "str", "dict[str, None]"


def required_on_create(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.create({"description": "x"}, integrated_account_id=acct)  # error: No overload variant of "create" of "Projects" matches argument types "dict[str, str]"


def another_integrations_model(uf: Unifold, acct: str) -> None:
    body = planhat.ProjectUpdate(name="x")
    uf.crm.capsule.projects.update("1", body, integrated_account_id=acct)  # error: No overload variant of "update" of "Projects" matches argument types "str", "ProjectUpdate"


def typo_keyword(uf: Unifold, acct: str) -> None:
    uf.crm.capsule.projects.get("1", integrated_account_id=acct, exclude_feilds=["id"])  # error: Unexpected keyword argument "exclude_feilds"


def paging(uf: Unifold, acct: str) -> None:
    reveal_type(uf.crm.capsule.projects.iter(integrated_account_id=acct, limit=50))  # reveal: typing.Iterator[unifold.generated.crm.capsule.Project]
    uf.crm.capsule.projects.iter(integrated_account_id=acct, response_format="raw")  # error: [call-overload]
