"""Serve moto's application with waitress: connections that stay open, answers in one write.

Why not moto's own server: werkzeug's development server (behind `moto_server`) closes every
connection after its answer (`Connection: close`: it cannot drain a request body before the
next request line), so every call of the AWS provider opens a TCP connection of its own, and
it writes an answer's headers apart from its body. On a loaded machine the provider's Go
client sometimes closed a connection after an answer's headers had arrived and before its
body had (the client, not the server, sends the reset: one `TcpEstabResets` and one
`TCPAbortOnData` in the kernel's counters for each retry the SDK logged). The SDK then reads
"use of closed network connection", which it retries (aws-sdk-go-v2 #2949), and sends the
call again: a CreateUser or CreateRole that moto had carried out came back
`EntityAlreadyExists`, and the apply failed.

So two things matter, and waitress, set up here, does both:

- Connections stay open. waitress keeps each HTTP/1.1 connection for the client's next call
  (Go's SDK keeps it, and closes it after 90 s idle). waitress closes one itself only after an
  answer it must end with `Connection: close` (a request it cannot parse, or an exception from
  moto: HTTP 500, which the e2e conftest fails the test for anyway) or when it has been idle
  for `IDLE_S`, longer than the SDK keeps an idle one.
- An answer leaves in one write: status line, headers and body in one TCP segment, so the
  client has the body as soon as it has the headers. waitress sends as soon as `send_bytes`
  of an answer are buffered (1 by default: the headers alone); `ONE_WRITE_BYTES` makes it
  send an IAM answer once moto is done with it.

Each request is logged with the client's port (`LOG_FORMAT`), so the log tells how many
connections a run used; an exception from moto is logged with its traceback (MotoEndpoint
reads the actions moto lacks from it).

`terraform destroy` of an `aws_iam_user` with `force_destroy = true` (as mfagen renders users)
lists the user's service-specific credentials (CodeCommit, Keyspaces) to delete them first.
moto 5.2 has no `ListServiceSpecificCredentials`: it answers HTTP 500, and the provider retries
for many minutes. No such credentials ever exist on the endpoint, so the honest answer is an
empty list, after the same existence check AWS makes (NoSuchEntity for an unknown user).
Everything else is moto's own behaviour. Run as ``python moto_entry.py -H HOST -p PORT``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

import waitress  # type: ignore[import-untyped]
from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

THREADS = 10
"""Terraform's default parallelism: no call of an apply waits for a thread."""
IDLE_S = 300
"""waitress's channel_timeout: longer than Go's SDK keeps an idle connection (90 s)."""
ONE_WRITE_BYTES = 1 << 20
"""waitress's send_bytes: an answer is sent once this much of it is buffered, or whole when
moto is done with it; IAM's answers are far smaller, so each leaves in one write."""
LOG_FORMAT = "request from port {port}: {method} {path} {status}"
"""One line per answered request; `port` is the client's, one per connection."""

log = logging.getLogger("moto_entry")


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    self.backend.get_user(self._get_param("UserName"))
    return ActionResult({"ServiceSpecificCredentials": []})


def logged(app: Application) -> Application:
    """`app`, logging each request's status with the client's port (`LOG_FORMAT`)."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            log.info(
                LOG_FORMAT.format(
                    port=environ.get("REMOTE_PORT"),
                    method=environ["REQUEST_METHOD"],
                    path=environ["PATH_INFO"],
                    status=status.split(" ", 1)[0],
                )
            )
            return start_response(status, headers, *exc_info)

        return app(environ, start)

    return serve


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    if not hasattr(IamResponse, "list_service_specific_credentials"):
        IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    waitress.serve(
        logged(DomainDispatcherApplication(create_backend_app)),
        host=args.host,
        port=args.port,
        threads=THREADS,
        channel_timeout=IDLE_S,
        send_bytes=ONE_WRITE_BYTES,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
