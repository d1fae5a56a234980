"""First use of one integration in a fresh process (for import_time).

    python -m benchmarks._first_use INTEGRATION

Times `from unifold import Unifold`, creating a client and an in-process sandbox account, the
first update (connector, models and emulator load here) and a second update (warm); prints one
JSON line of seconds.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    integration = argv[0]
    t0 = time.perf_counter()
    from unifold import Unifold
    from unifold.sandbox import SEED_PROJECT_IDS

    t1 = time.perf_counter()
    uf = Unifold(store=":memory:")
    acct = uf.accounts.create(integration, environment="sandbox")
    t2 = time.perf_counter()
    pid = SEED_PROJECT_IDS[integration][0]
    uf.crm.projects.update(pid, {"name": "First use"}, integrated_account_id=acct.id)
    t3 = time.perf_counter()
    uf.crm.projects.update(pid, {"name": "Second use"}, integrated_account_id=acct.id)
    t4 = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": t1 - t0,
                "client_and_account_s": t2 - t1,
                "first_update_s": t3 - t2,
                "warm_update_s": t4 - t3,
                "total_s": t3 - t0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
