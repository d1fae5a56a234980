"""unifold's benchmark suite: `python -m benchmarks` (or `make bench`).

Each module measures one thing against a baseline taken in the same run and returns its
figures as plain JSON-able data; `__main__` prints the table and writes `bench-results.json`.
See BENCHMARKS.md for what every figure means.
"""

BENCHMARKS = (
    "update_overhead",
    "mapping_cost",
    "read_mapping",
    "async_concurrency",
    "stream_memory",
    "generation",
    "import_time",
    "iter_memory",
    "server_overhead",
    "async_burst",
)
