"""``fmtts serve``: speech over HTTP (OpenAI-compatible, :mod:`fmtts.server.http`) and the Wyoming protocol
(Home Assistant, :mod:`fmtts.server.wyoming`), from one process sharing one synthesis queue
(:mod:`fmtts.server.service`). Needs the ``serve`` extra (FastAPI, uvicorn, wyoming), imported only here.
"""

from __future__ import annotations

import importlib
import logging

from fmtts.errors import FmttsError
from fmtts.server.service import RequestError, ServiceBusy, SpeechService, SpeechStream

__all__ = [
    "RequestError",
    "ServeError",
    "ServerGroup",
    "ServiceBusy",
    "SpeechService",
    "SpeechStream",
    "require",
]

log = logging.getLogger(__name__)


class ServeError(FmttsError, RuntimeError):
    """The server cannot start (a missing optional package, a bad address)."""


def require(*modules: str) -> None:
    """Import ``modules`` or raise :class:`ServeError` saying how to install them."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ServeError(
                f"fmtts serve needs the {name!r} package ({exc}); install the serve extra: "
                "pip install 'fmtts[serve]'"
            ) from exc


class ServerGroup:
    """The HTTP server on ``host:port`` and, with ``wyoming`` (``tcp://HOST:PORT`` or ``unix://PATH``),
    a Wyoming server, run together by :meth:`serve` until SIGTERM / SIGINT (uvicorn's handlers, in the
    main thread) or :meth:`stop`."""

    def __init__(
        self,
        service: SpeechService,
        host: str = "127.0.0.1",
        port: int = 8000,
        wyoming: str | None = None,
        log_level: str = "info",
    ):
        require("fastapi", "uvicorn", *(["wyoming"] if wyoming else []))
        import uvicorn

        from fmtts.server.http import create_app

        self.service = service
        self.wyoming_uri = wyoming
        config = uvicorn.Config(
            create_app(service), host=host, port=port, log_level=log_level, timeout_graceful_shutdown=10
        )
        self.http = uvicorn.Server(config)
        self._wyoming = None

    @property
    def started(self) -> bool:
        return bool(self.http.started)

    async def serve(self) -> None:
        if self.wyoming_uri:
            from fmtts.server.wyoming import start_wyoming

            self._wyoming = await start_wyoming(self.wyoming_uri, self.service)
            log.info("Wyoming server on %s", self.wyoming_uri)
        try:
            await self.http.serve()
        finally:
            if self._wyoming is not None:
                await self._wyoming.stop()
            self.service.close()

    def stop(self) -> None:
        """Ask :meth:`serve` to finish (from any thread)."""
        self.http.should_exit = True
