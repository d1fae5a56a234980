"""A loopback sandbox server holding one project with a huge description (for stream_memory).

    python -m benchmarks._big_server PORT SIZE_BYTES

Capsule's emulator, with project 900 inserted by `put_project` before uvicorn starts.
"""

from __future__ import annotations

import sys

BIG_ID = 900
SMALL_ID = 12  # a seed project, for the children's warm-up call


def main(argv: list[str]) -> int:
    import uvicorn

    from unifold.sandbox import asgi_app, create_provider

    port, size = int(argv[0]), int(argv[1])
    provider = create_provider("capsule")
    provider.put_project({"id": BIG_ID, "name": "Big", "description": "x" * size})
    uvicorn.run(asgi_app(provider), host="127.0.0.1", port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
