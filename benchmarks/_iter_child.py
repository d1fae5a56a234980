"""One measurement of iter_memory, in its own process so its peak RSS is its own.

    python -m benchmarks._iter_child MODE RECORDS

MODE: `iter` (unifold's `projects.iter`, each record looked at and dropped) or `keep` (the
same records kept in a list: what memory does when it is not flat). The provider is Planhat's
API shape (a bare JSON array, limit/offset) served by an in-process httpx transport that builds
each page on request, so the provider's own state costs nothing. Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import httpx


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def pages(total: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        limit = int(request.url.params.get("limit", "100"))
        body = [
            {
                "_id": f"{n:024x}",
                "name": f"Project {n}",
                "companyId": "64b7f0c1a2b3c4d5e6f70001",
                "companyName": "Acme",
                "mrr": n % 997,
                "currency": "EUR",
                "custom": {"Phase": "Build", "Days in Phase": n % 30},
                "createdAt": "2024-01-08T09:30:00.000Z",
                "updatedAt": "2024-02-01T12:00:00.000Z",
            }
            for n in range(offset, min(offset + limit, total))
        ]
        return httpx.Response(200, content=json.dumps(body).encode())

    return httpx.MockTransport(handler)


def main(argv: list[str]) -> int:
    from unifold import Unifold

    mode, total = argv[0], int(argv[1])
    uf = Unifold(store=":memory:", http_client=httpx.Client(transport=pages(total)))
    acct = uf.accounts.create("planhat", {"token": "benchmark"})
    records = uf.crm.projects.iter(integrated_account_id=acct.id)
    kept: list[Any] = []
    count = 0
    baseline = 0
    start = time.perf_counter()
    for record in records:
        count += 1
        if mode == "keep":
            kept.append(record)
        if count == 4000:  # two full pages in: the steady state of one page at a time
            baseline = peak_kib()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "mode": mode,
                "records": count,
                "baseline_kib": baseline,
                "peak_kib": peak_kib(),
                "seconds": seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
