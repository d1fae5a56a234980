"""Stable ids of the records every fresh sandbox provider is seeded with (pure data, no imports)."""

from __future__ import annotations

INTEGRATIONS: tuple[str, ...] = ("capsule", "insightly", "pipeliner", "planhat", "teamleader")

SANDBOX_CREDENTIALS: dict[str, dict[str, str]] = {
    "capsule": {"token": "sandbox-capsule-token"},
    "insightly": {"api_key": "sandbox-insightly-key"},
    "pipeliner": {"username": "sandbox-pipeliner-user", "password": "sandbox-pipeliner-secret"},
    "planhat": {"token": "sandbox-planhat-token"},
    "teamleader": {"access_token": "sandbox-teamleader-token"},
}

# The OAuth app registered with the Teamleader and Capsule emulators: sandbox accounts of those
# integrations connect through it (authorize, code exchange, refresh), like production ones.
SANDBOX_OAUTH_APPS: dict[str, dict[str, str]] = {
    name: {
        "client_id": f"sandbox-{name}-client",
        "client_secret": f"sandbox-{name}-client-secret",
        "redirect_uri": "http://127.0.0.1/unifold/oauth/callback",
    }
    for name in ("capsule", "teamleader")
}


def _uuid(kind: str, n: int) -> str:
    """Readable, valid UUIDs: the first group names the kind of record."""
    return f"{kind:0<8}-0000-4000-8000-{n:012x}"


def _tl(kind: str, n: int) -> str:
    return f"{kind:0<8}-7e57-4d1e-9a1b-{n:012x}"


# Pipeliner: any space id matching ^[A-Za-z0-9_-]{1,64}$ is accepted; this one is used in examples.
PIPELINER_SPACE = "nv3_PipelinerDev"  # the matrix example, so sandbox accounts use it

SEED_PROJECT_IDS: dict[str, tuple[str, ...]] = {
    "capsule": ("12", "13", "14"),
    "insightly": ("1657941", "1657942", "1657943"),
    "pipeliner": (_uuid("a0", 1), _uuid("a0", 2), _uuid("a0", 3)),
    "planhat": ("64b7f1d2a2b3c4d5e6f71001", "64b7f1d2a2b3c4d5e6f71002", "64b7f1d2a2b3c4d5e6f71003"),
    "teamleader": (_tl("a0", 1), _tl("a0", 2), _tl("a0", 3)),
}

SEED_REFERENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "capsule": {
        "parties": ("892", "893", "894"),
        "users": ("61", "62", "63"),
        "teams": ("42", "43"),
        "opportunities": ("8301", "8302"),
        "stages": ("149", "150", "151"),
        "tags": ("501", "502", "503"),
        "field_definitions": ("77", "78", "79", "80", "81"),
    },
    "insightly": {
        "users": ("607181", "607182", "607183"),
        "categories": ("3001", "3002"),
        "opportunities": ("4070113", "4070114"),
        "organisations": ("35343476", "35343477"),
        "contacts": ("70653013", "70653014"),
        "pipelines": ("4001",),
        "pipeline_stages": ("5001", "5002", "5003"),
        "custom_fields": ("Budget__c", "Region__c", "Kickoff__c"),
    },
    "pipeliner": {
        "spaces": (PIPELINER_SPACE,),
        "clients": (_uuid("c0", 1), _uuid("c0", 2), _uuid("c0", 3)),
        "accounts": (_uuid("ac", 1), _uuid("ac", 2)),
        "contacts": (_uuid("c7", 1), _uuid("c7", 2), _uuid("c7", 3)),
        "sales_units": (_uuid("50", 1), _uuid("50", 2)),
        "project_types": (_uuid("70", 1), _uuid("70", 2)),
        "currencies": (_uuid("cc", 1), _uuid("cc", 2)),
        "currency_exchange_rates_lists": (_uuid("ce", 1),),
    },
    "planhat": {
        "companies": (
            "64b7f0c1a2b3c4d5e6f70001",
            "64b7f0c1a2b3c4d5e6f70002",
            "64b7f0c1a2b3c4d5e6f70003",
        ),
    },
    "teamleader": {
        "users": (_tl("b0", 1), _tl("b0", 2), _tl("b0", 3)),
        "teams": (_tl("7ea", 1),),
        "contacts": (_tl("c7", 1), _tl("c7", 2)),
        "companies": (_tl("c0", 1), _tl("c0", 2)),
        "deals": (_tl("de", 1), _tl("de", 2)),
        "quotations": (_tl("90", 1),),
        "departments": (_tl("d0", 1),),
        "custom_field_definitions": (_tl("cf", 1), _tl("cf", 2), _tl("cf", 3), _tl("cf", 4)),
    },
}
