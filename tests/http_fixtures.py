"""A loopback HTTP server for the download tests: 127.0.0.1 only, threaded, self-stopping.

Routes (``<kind>/<file>``) serve the bytes registered with :meth:`LoopbackServer.add`:

* ``ok/NAME``       200, or 206 for a ``Range: bytes=n-`` request.
* ``norange/NAME``  always 200 with the whole body (ignores Range).
* ``flaky/NAME``    500 for the first ``fail_first`` requests, then as ``ok``.
* ``slow/NAME``     headers, then silence until the server stops (a read timeout).
* ``cut/NAME``      the first request announces the full length but closes after half; later
                    requests behave as ``ok`` (so a resume has something to resume).
* ``drip/NAME``     as ``ok``, in small chunks with a short pause (to overlap two clients).
* anything else     404.

Every request is logged as ``(path, range header)`` in :attr:`LoopbackServer.log`. The
server stops when the ``with`` block ends, and on its own after ``lifetime`` seconds.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        srv = self.server
        rng = self.headers.get("Range")
        with srv.lock:
            srv.log.append((self.path, rng))
            count = sum(1 for p, _ in srv.log if p == self.path)
        kind, _, name = self.path.lstrip("/").partition("/")
        body = srv.files.get(name)
        if body is None or kind not in ("ok", "norange", "flaky", "slow", "cut", "drip"):
            self._reply(404, b"not found")
            return
        if kind == "flaky" and count <= srv.fail_first:
            self._reply(500, b"try again")
            return
        if kind == "slow":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            srv.stopping.wait(10)
            return
        start = 0
        if rng and kind != "norange" and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if kind == "cut" and count == 1:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "drip":
            for i in range(0, len(payload), 4096):
                self.wfile.write(payload[i:i + 4096])
                self.wfile.flush()
                time.sleep(srv.drip_pause)
            return
        self.wfile.write(payload)

    def _reply(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.log: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.fail_first = 2
        self.drip_pause = 0.01


class LoopbackServer:
    """``with LoopbackServer() as srv: srv.add("a.bin", data); url = srv.url("ok", "a.bin")``."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def log(self) -> list[tuple[str, str | None]]:
        return self._server.log

    def set_fail_first(self, n: int) -> None:
        self._server.fail_first = n

    def set_drip_pause(self, seconds: float) -> None:
        self._server.drip_pause = seconds

    def add(self, name: str, data: bytes) -> None:
        self._server.files[name] = data

    def url(self, kind: str, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{kind}/{name}"

    def requests_for(self, kind: str, name: str) -> list[str | None]:
        return [r for p, r in self.log if p == f"/{kind}/{name}"]

    def start(self) -> LoopbackServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        self._server.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
