"""mfagen: make MFA mandatory for AWS CLI users, declaratively, across accounts."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata only when asked: importlib.metadata
    costs every run tens of milliseconds of start-up, and only `--version` needs it."""
    if name != "__version__":
        raise AttributeError(f"module 'mfagen' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("mfagen")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"
