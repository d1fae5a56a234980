"""`unifold serve`: the unified API over HTTP, wire-compatible with Truto's.

from unifold.server import create_app
app = create_app("accounts.sqlite3")   # an ASGI app (Starlette); uvicorn serves it
"""

from unifold.server.app import create_app

__all__ = ["create_app"]
