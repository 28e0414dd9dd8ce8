"""mfagen: make MFA mandatory for AWS CLI users, declaratively, across accounts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mfagen")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"
