"""Runs the personal API (uvicorn) in a background thread while the window is open.

The API stack (FastAPI, pydantic, uvicorn) is imported only when the user switches the API on.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from lampdesk.app import LampDesk
from lampdesk.errors import LampdeskError

if TYPE_CHECKING:
    from lampdesk.api.server import ApiService

API_PORT = 8765
HOST = "127.0.0.1"


class ApiRunner:
    def __init__(self, app: LampDesk, profile: str, port: int = API_PORT) -> None:
        import uvicorn

        from lampdesk.api.server import ApiService, Guard, create_app
        from lampdesk.api.token import api_token

        self.token = api_token(app.paths)
        self.service: ApiService = ApiService(app, profile, self.token)
        config = uvicorn.Config(
            Guard(create_app(self.service), self.service),
            host=HOST,
            port=port,
            log_level="error",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="lampdesk-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            self.stop()
            raise LampdeskError(f"The API could not listen on {HOST}:{port} (is it in use?).")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.service.close()
