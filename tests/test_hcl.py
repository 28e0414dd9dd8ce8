from __future__ import annotations

import hcl2
import pytest

from mfagen import hcl


def test_string_escapes_terraform_templates_but_keeps_the_text() -> None:
    assert hcl.string('a "b" ${aws:username} %{x}') == '"a \\"b\\" $${aws:username} %%{x}"'


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (True, "true"),
        (3600, "3600"),
        (["a", "b"], '["a", "b"]'),
        ({}, "{}"),
        ({"mfagen-tier-s3": "true"}, '{ "mfagen-tier-s3" = "true" }'),
    ],
)
def test_value(data: object, expected: str) -> None:
    assert hcl.value(data) == expected


def test_heredoc_round_trips_through_python_hcl2() -> None:
    document = {"Resource": "arn:aws:iam::1:user/${aws:username}"}
    text = f"x = {hcl.heredoc(document, 0)}\n"
    parsed = hcl2.loads(text)
    assert '"arn:aws:iam::1:user/$${aws:username}"' in parsed["x"]


def test_align_matches_terraform_fmt_rules() -> None:
    text = "\n".join(
        [
            "resource {",
            "  a = 1",
            "  long_name = <<-EOT",
            "    body = not an attribute",
            "  EOT",
            "  bc = 2",
            "  tags = {",
            '    "k" = "v"',
            "    kk = 1",
            "  }",
            "  d = 3",
            "",
            "  e = 4",
            "}",
        ]
    )
    assert hcl.align(text).split("\n") == [
        "resource {",
        "  a         = 1",
        "  long_name = <<-EOT",
        "    body = not an attribute",
        "  EOT",
        "  bc        = 2",
        "  tags = {",
        '    "k" = "v"',
        "    kk  = 1",
        "  }",
        "  d = 3",
        "",
        "  e = 4",
        "}",
    ]
