"""Policy documents compared as IAM reads them (documents.py), not as text."""

from __future__ import annotations

from typing import Any

import pytest

from mfagen.audit.live import documents

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AssumeWithMFA",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
            },
        },
        {"Effect": "Deny", "Principal": "*", "Action": ["sts:TagSession"]},
    ],
}


TYPED = {
    "Bool": {"AWS:MultiFactorAuthPresent": True},
    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
}


def _with(**changes: Any) -> dict[str, Any]:
    statement = {**TRUST["Statement"][0], **changes}  # type: ignore[index]
    return {**TRUST, "Statement": [statement, TRUST["Statement"][1]]}  # type: ignore[index]


@pytest.mark.parametrize(
    "alike",
    [
        {**TRUST, "Statement": list(reversed(TRUST["Statement"]))},  # type: ignore[call-overload]
        _with(Sid="Renamed"),
        _with(Action=["STS:assumerole"]),
        _with(Principal={"AWS": ["111111111111"]}),
        _with(Condition=TYPED),
    ],
    ids=["order", "sid", "action case and list", "account id", "condition types and key case"],
)
def test_documents_iam_reads_alike_are_the_same(alike: dict[str, Any]) -> None:
    assert documents.same(TRUST, alike)
    assert documents.differences(TRUST, alike) == ()


@pytest.mark.parametrize(
    "other",
    [
        _with(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        _with(Principal={"AWS": "arn:aws:iam::222222222222:root"}),
        _with(Effect="Deny"),
        {**TRUST, "Version": "2008-10-17"},
    ],
    ids=["condition dropped", "principal", "effect", "version"],
)
def test_documents_iam_reads_apart_differ(other: dict[str, Any]) -> None:
    assert not documents.same(TRUST, other)
    assert documents.differences(TRUST, other)


def test_the_differences_are_the_statements_only_one_side_has() -> None:
    changed = _with(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})

    only_iam = (
        'only in IAM: {"Action":"sts:AssumeRole","Condition":{"Bool":{'
        '"aws:MultiFactorAuthPresent":"true"}},"Effect":"Allow","Principal":{"AWS":'
        '"arn:aws:iam::111111111111:root"},"Sid":"AssumeWithMFA"}'
    )
    only_output = (
        'only in the output: {"Action":"sts:AssumeRole","Condition":{"Bool":{'
        '"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":'
        '"3600"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},'
        '"Sid":"AssumeWithMFA"}'
    )
    assert documents.differences(TRUST, changed) == (only_iam, only_output)
