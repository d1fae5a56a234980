"""One measurement of stream_memory, in its own process so its peak RSS is its own.

    python -m benchmarks._rss_child MODE BASE_URL

MODE: `stream` (unifold, response_format="stream", chunks counted and dropped), `raw` (unifold,
response_format="raw": the body read whole and parsed) or `read` (a plain httpx.Client
reading the body whole). Prints one JSON line: peak RSS (KiB) before and after the big call.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks._big_server import BIG_ID, SMALL_ID

BODY = {"name": "Benchmark project"}


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def vm_hwm_kib() -> int | None:
    """The peak RSS of this process's own address space (Linux), as a cross-check."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main(argv: list[str]) -> int:
    import httpx

    from unifold import Unifold
    from unifold.sandbox import SANDBOX_CREDENTIALS

    mode, base_url = argv
    # The buffered modes read the whole 64 MiB answer: above the default response cap.
    uf = Unifold(store=":memory:", max_response_bytes=1 << 30)
    acct = uf.accounts.create("capsule", environment="sandbox", base_url=base_url)
    plain = httpx.Client()
    headers = {
        "Authorization": f"Bearer {SANDBOX_CREDENTIALS['capsule']['token']}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    wire = json.dumps({"kase": BODY}, separators=(",", ":")).encode()

    def call(pid: int) -> int:
        if mode == "stream":
            with uf.crm.projects.update(
                str(pid), BODY, integrated_account_id=acct.id, response_format="stream"
            ) as stream:
                return sum(len(chunk) for chunk in stream)
        if mode == "raw":
            body = uf.crm.projects.update(
                str(pid), BODY, integrated_account_id=acct.id, response_format="raw"
            )
            return len(json.dumps(body)) if pid == SMALL_ID else len(body["kase"]["description"])
        resp = plain.put(f"{base_url}/kases/{pid}", content=wire, headers=headers)
        resp.raise_for_status()
        return len(resp.content)

    call(SMALL_ID)  # warm-up: imports, connector, connection
    before, hwm_before = peak_kib(), vm_hwm_kib()
    start = time.perf_counter()
    size = call(BIG_ID)
    seconds = time.perf_counter() - start
    after, hwm_after = peak_kib(), vm_hwm_kib()
    result = {
        "mode": mode,
        "baseline_kib": before,
        "peak_kib": after,
        "vmhwm_baseline_kib": hwm_before,
        "vmhwm_peak_kib": hwm_after,
        "bytes": size,
        "seconds": seconds,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
