"""The AWS regions mfagen knows: every region of the `aws` partition in botocore's
endpoint data (mfagen writes `arn:aws:` ARNs, which other partitions do not use).

Generated from botocore 1.44.18 by `pytest tests/test_regions.py --update-golden`; do
not edit. That test fails as soon as the installed botocore knows other regions. A
region newer than this list is refused until mfagen knows it, unless accounts.yaml
names it under `new_regions` (docs/configuration.md, Regions).
"""

from __future__ import annotations

SOURCE = "botocore 1.44.18"
"""Where the list comes from, for messages and docs."""

KNOWN = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)
OTHER_PARTITIONS = {
    "cn-north-1": "aws-cn",
    "cn-northwest-1": "aws-cn",
    "eu-isoe-west-1": "aws-iso-e",
    "eusc-de-east-1": "aws-eusc",
    "us-gov-east-1": "aws-us-gov",
    "us-gov-west-1": "aws-us-gov",
    "us-iso-east-1": "aws-iso",
    "us-iso-west-1": "aws-iso",
    "us-isob-east-1": "aws-iso-b",
    "us-isob-west-1": "aws-iso-b",
    "us-isof-east-1": "aws-iso-f",
    "us-isof-south-1": "aws-iso-f",
}
"""Regions of other partitions, by region: mfagen refuses them, naming the partition."""
