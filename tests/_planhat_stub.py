"""A Planhat account behind a mock transport: where tests that script the provider's answers
point the client, and the one project record those answers carry."""

from __future__ import annotations

BASE = "http://127.0.0.1:9/api"  # nothing listens: every answer comes from the mock
RECORD = {"_id": "64b7f1d2a2b3c4d5e6f71001", "name": "P", "companyId": "64b7f0c1a2b3c4d5e6f70001"}
PID = RECORD["_id"]
