"""`make demo`: one Update Projects call per integration, against the built-in sandboxes.

For each integration it prints the unified request, every request the provider received, and
the unified result. No credentials, no network.
"""

from __future__ import annotations

import json
from typing import Any

from unifold import Unifold, UnifoldError
from unifold.generated.crm.registry import INTEGRATIONS
from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES

REFS = SEED_REFERENCES

# A showcase body per built-in integration (see generated/docs/crm/projects/update.md): a status
# change, an owner or account change and a custom field wherever they exist. The demo runs every
# integration of the generated registry; one without a showcase body gets a rename.
UPDATES: dict[str, dict[str, Any]] = {
    "capsule": {
        "name": "Website relaunch",
        "status": "closed",
        "account": {"id": REFS["capsule"]["parties"][1]},
        "close_date": "2024-09-30",
        "tags": [{"name": "Priority"}, {"name": "Q3 launch"}],
        "custom_fields": {"Budget": 12500, "Notes": "Signed off by the board"},
    },
    "insightly": {
        "name": "Website relaunch",
        "status": "completed",
        "owner": {"id": REFS["insightly"]["users"][1]},
        "close_date": "2024-09-30T17:00:00Z",
        "custom_fields": {"Budget__c": 12500},
    },
    "pipeliner": {
        "name": "Website relaunch",
        "description": "Phase 2: content migration",
        "owner": {"id": REFS["pipeliner"]["clients"][1]},
        "account": {"id": REFS["pipeliner"]["accounts"][1]},
        "close_date": "2024-09-30",
    },
    "planhat": {
        "name": "Website relaunch",
        "account": {"id": REFS["planhat"]["companies"][1]},
        "amount": 1500,
        "currency": "EUR",
        "custom_fields": {"Phase": "Launch"},
    },
    "teamleader": {
        "name": "Website relaunch",
        "description": "Phase 2: content migration",
        "owner": {"id": REFS["teamleader"]["users"][1]},
        "account": {"id": REFS["teamleader"]["companies"][1]},
        "contact": [{"id": REFS["teamleader"]["contacts"][0]}],
        "opportunity": [{"id": REFS["teamleader"]["deals"][1]}],
        "amount": 15000,
        "currency": "EUR",
    },
}


def _json(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return "\n".join("    " + line for line in text.splitlines())


def run() -> int:
    failures = 0
    with Unifold(store=":memory:") as uf:
        for integration in INTEGRATIONS:
            body = UPDATES.get(integration, {"name": "Website relaunch"})
            account = uf.accounts.create(integration, environment="sandbox")
            provider = uf.accounts.sandbox(account.id)
            project_id = SEED_PROJECT_IDS[integration][0]
            before = len(provider.received)
            print(f"\n=== {integration}: PATCH /unified/crm/projects/{project_id} ===")
            print("  unified request body:")
            print(_json(body))
            try:
                project = uf.crm.projects.update(project_id, body, integrated_account_id=account.id)
            except UnifoldError as exc:
                failures += 1
                print(f"  FAILED: {exc}")
                continue
            print(f"  the provider received {len(provider.received) - before} request(s):")
            for req in provider.received[before:]:
                query = "&".join(f"{k}={v}" for k, v in req.query)
                print(f"  > {req.method} {req.path}{'?' + query if query else ''}")
                if req.json is not None:
                    print(_json(req.json))
            print("  unified result (remote_data omitted):")
            print(
                _json(project.model_dump(mode="json", exclude={"remote_data"}, exclude_none=True))
            )
    print()
    if failures:
        print(f"{failures} integration(s) failed")
        return 1
    print(f"Updated one project in each of {len(INTEGRATIONS)} integrations.")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
