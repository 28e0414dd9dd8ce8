"""A moto server subprocess on a loopback port, plus its `/moto-api` controls.

Stdlib only (talks to `/moto-api` over urllib), so it stays mypy --strict clean.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

LOOPBACK = "127.0.0.1"
_READY_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_POLL_INTERVAL_S = 0.05
_HTTP_TIMEOUT_S = 10.0
_RESET_TIMEOUT_S = 180.0
_NOT_IMPLEMENTED = re.compile(r"The (\w+) action has not been implemented")
_REQUEST_FROM = re.compile(r"request from port (\d+): ")
"""moto_entry.LOG_FORMAT's start: the client's port, one per connection."""


class MotoServerError(RuntimeError):
    """The moto server did not start, or a `/moto-api` call failed."""


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


MOTO_ENTRY = Path(__file__).with_name("moto_entry.py")


def moto_server_command(host: str, port: int) -> list[str]:
    """moto's app served by waitress through `moto_entry.py`, which keeps connections open and
    fills one gap the AWS provider hits."""
    return [sys.executable, str(MOTO_ENTRY), "-H", host, "-p", str(port)]


@dataclass(frozen=True)
class RecordedRequest:
    """One request captured by moto's recorder (`/moto-api/recorder/...`)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str

    @property
    def query_params(self) -> dict[str, str]:
        """Form-encoded body of an AWS query-protocol call (IAM, STS), first value per key."""
        return {key: values[0] for key, values in parse_qs(self.body).items()}

    @property
    def action(self) -> str | None:
        return self.query_params.get("Action")

    @property
    def access_key_id(self) -> str | None:
        """The access key id that signed the request (SigV4 ``Credential=KEY/...``)."""
        authorization = self.headers.get("Authorization", "")
        _, found, rest = authorization.partition("Credential=")
        return rest.split("/", 1)[0] if found else None


def _decode_recording_line(line: str) -> RecordedRequest:
    entry = json.loads(line)
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return RecordedRequest(
        method=entry["method"], url=entry["url"], headers=entry["headers"], body=body
    )


@dataclass(frozen=True)
class MotoEndpoint:
    """Handle on a running moto server: its URL and the `/moto-api` controls."""

    url: str
    log_path: Path | None = None

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path is not None else 0

    def _log_after(self, since: int) -> str:
        if self.log_path is None:
            return ""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", errors="replace")

    def unimplemented_actions(self, since: int = 0) -> list[str]:
        """Actions moto answered with HTTP 500 "not implemented", logged after byte ``since``."""
        return sorted(set(_NOT_IMPLEMENTED.findall(self._log_after(since))))

    def requests_by_port(self, since: int = 0) -> dict[int, int]:
        """Client port -> requests answered on it, logged after byte ``since``: one port per
        TCP connection (a port reused by a later connection counts once)."""
        counts: dict[int, int] = {}
        for port in _REQUEST_FROM.findall(self._log_after(since)):
            counts[int(port)] = counts.get(int(port), 0) + 1
        return counts

    def _call(self, path: str, method: str = "POST", timeout: float = _HTTP_TIMEOUT_S) -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", method=method, data=b"")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body: bytes = response.read()
                return body
        except urllib.error.URLError as error:
            raise MotoServerError(f"{method} {self.url}{path} failed: {error}") from error

    def is_ready(self) -> bool:
        try:
            self._call("/moto-api/config", method="GET")
        except MotoServerError:
            return False
        return True

    def reset(self) -> None:
        """Drop all state in all accounts, and stop/clear the request recording."""
        # A reset reloads AWS's ~1,600 managed policies into every account touched so far:
        # seconds on a busy 2-core machine, not milliseconds.
        self._call("/moto-api/reset", timeout=_RESET_TIMEOUT_S)
        self._call("/moto-api/recorder/stop-recording")
        self._call("/moto-api/recorder/reset-recording")

    def start_recording(self) -> None:
        """Record every following request (clears earlier recordings)."""
        self._call("/moto-api/recorder/reset-recording")
        self._call("/moto-api/recorder/start-recording")

    def stop_recording(self) -> None:
        self._call("/moto-api/recorder/stop-recording")

    def recorded_requests(self) -> list[RecordedRequest]:
        text = self._call("/moto-api/recorder/download-recording", method="GET").decode()
        return [_decode_recording_line(line) for line in text.splitlines() if line.strip()]

    def recorded_calls(self, action: str) -> list[dict[str, str]]:
        """Parameters of recorded query-protocol calls such as ``AssumeRole``."""
        return [r.query_params for r in self.recorded_requests() if r.action == action]


@dataclass
class MotoServer:
    """Owns the moto server process; use :func:`running_moto_server`."""

    workdir: Path
    host: str = LOOPBACK
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "moto_server.log"

    def server_env(self) -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "MOTO_RECORDER_FILEPATH": str(self.workdir / "moto_recording.jsonl"),
            **self.extra_env,
        }

    def start(self) -> MotoEndpoint:
        port = free_loopback_port()
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            moto_server_command(self.host, port),
            cwd=self.workdir,
            env=self.server_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        endpoint = MotoEndpoint(url=f"http://{self.host}:{port}", log_path=self.log_path)
        self._wait_until_ready(endpoint)
        endpoint.reset()
        return endpoint

    def _wait_until_ready(self, endpoint: MotoEndpoint) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise MotoServerError(f"moto server exited early:\n{self._read_log()}")
            if endpoint.is_ready():
                return
            time.sleep(_POLL_INTERVAL_S)
        raise MotoServerError(
            f"moto server not ready after {_READY_TIMEOUT_S}s:\n{self._read_log()}"
        )

    def _read_log(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Terminate the process by pid; kill it if it does not exit in time."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def running_moto_server(
    workdir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[MotoEndpoint]:
    server = MotoServer(workdir=workdir, extra_env=dict(extra_env or {}))
    try:
        yield server.start()
    finally:
        server.stop()
