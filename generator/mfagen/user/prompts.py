"""The terminal side of `mfagen enrol`: shows the device's QR code and secret, reads codes.

On a terminal the codes are prompted for; otherwise (a script, a test) they are read one
per line from standard input. The secret is shown only when standard output is a terminal:
written to a pipe or a file it would end up in a log.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from mfagen.errors import EnrolError

if TYPE_CHECKING:  # enrol imports botocore, which only `mfagen enrol` needs
    from mfagen.user.enrol import Setup


class Terminal:
    """The Prompter of mfagen.user.enrol for a person at a terminal (or a script feeding stdin)."""

    def __init__(
        self, stdin: TextIO | None = None, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @property
    def shows_secrets(self) -> bool:
        return self.out.isatty()

    def show(self, setup: Setup) -> None:
        if setup.picture is None:
            self.out.write(setup.qr_text)
            self.out.write(f"Scan this QR code with your authenticator app ({setup.serial}).\n")
        else:
            self.out.write(f"The QR code is in {setup.picture}: scan it with your app.\n")
        if self.shows_secrets:
            self.out.write(f"Or type this secret into the app: {grouped(setup.secret)}\n")
        self.out.flush()

    def code(self, prompt: str) -> str:
        self.err.write(prompt)
        self.err.flush()
        line = self.stdin.readline()
        if not self.stdin.isatty():
            self.err.write("\n")  # the code typed by a script is not echoed
        if not line:
            raise EnrolError(
                "standard input ended before an MFA code was given",
                "type the codes your authenticator app shows, one a line",
            )
        return line.strip()

    def notice(self, text: str) -> None:
        self.err.write(f"mfagen: {text}\n")
        self.err.flush()


def grouped(secret: str) -> str:
    """`ABCDEFGH...` as `ABCD EFGH ...`: easier to type; apps ignore the spaces."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
