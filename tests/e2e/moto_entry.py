"""Serve moto's application over HTTP/1.1 connections that stay open, plus one IAM read.

Why not moto's own server: werkzeug's development server (behind `moto_server`) closes every
connection after its answer (`Connection: close`: it cannot drain a request body before the
next request line), so every call of the AWS provider opens a TCP connection of its own. On a
loaded machine a few of those connections were reset (one `TcpEstabResets` in the kernel's
counters for each retry the SDK logged: 1 to 3 in an apply of 300 users with the cores busy),
some after moto had carried the call out. The SDK then sent the call again: a CreateUser or
CreateRole that moto had done came back `EntityAlreadyExists`, and the apply failed. Here each
connection stays open until the client closes it (Go's SDK keeps it for its next call), and
nothing but the client closes a connection, so no call is sent twice.

The server reads each request whole (by its Content-Length) before moto sees it, and answers
with a Content-Length: every request boundary is known, which is what werkzeug lacked.

`terraform destroy` of an `aws_iam_user` with `force_destroy = true` (as mfagen renders users)
lists the user's service-specific credentials (CodeCommit, Keyspaces) to delete them first.
moto 5.2 has no `ListServiceSpecificCredentials`: it answers HTTP 500, and the provider retries
for many minutes. No such credentials ever exist on the endpoint, so the honest answer is an
empty list, after the same existence check AWS makes (NoSuchEntity for an unknown user).
Everything else is moto's own behaviour. Run as ``python moto_entry.py -H HOST -p PORT``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    self.backend.get_user(self._get_param("UserName"))
    return ActionResult({"ServiceSpecificCredentials": []})


class KeepAliveHandler(BaseHTTPRequestHandler):
    """One connection: its requests one after the other, each passed to the WSGI app."""

    protocol_version = "HTTP/1.1"  # connections stay open unless the client says otherwise
    app: Application

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "a request body needs a Content-Length here")
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(self.environ(body))
        self.wfile.flush()

    def environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def answer(self, environ: dict[str, Any]) -> None:
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started[:] = [(status, headers)]

        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:  # noqa: BLE001 - moto's apps run in debug mode: errors propagate
            # As werkzeug's server does: the traceback in the log (MotoEndpoint reads the
            # actions moto lacks from it), and a 500 to the client.
            traceback.print_exc()
            started[:], body = [("500 Internal Server Error", [])], b""
        status, headers = started[0]
        self.log_request(int(status.split(" ", 1)[0]))
        kept = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in [
                ("Date", self.date_time_string()),
                *kept,
                ("Content-Length", str(len(body))),
            ]
        )
        # The status line, headers and body in one write: the client reads them together.
        answer = f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1")
        self.wfile.write(answer if self.command == "HEAD" else answer + body)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    if not hasattr(IamResponse, "list_service_specific_credentials"):
        IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]
    KeepAliveHandler.app = DomainDispatcherApplication(create_backend_app)
    ThreadingHTTPServer.request_queue_size = 128  # werkzeug's; the default of 5 overflows
    server = ThreadingHTTPServer((args.host, args.port), KeepAliveHandler)
    server.daemon_threads = True
    sys.stderr.write(f" * Running on http://{args.host}:{args.port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
