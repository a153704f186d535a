"""A real HTTP server for the app: uvicorn in a thread, on a free port of 127.0.0.1, with the same
head-timeout protocol and settings ``governance serve`` uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from governance.app import create_app
from governance.settings import Settings
from governance.timeouts import protocol_for
from tests.conftest import _free_port


@contextmanager
def live_app(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of the app served over real sockets until the block ends."""
    port = _free_port()
    settings = settings.model_copy(update={"port": port})
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning",
                            http=protocol_for(settings), lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=20)
