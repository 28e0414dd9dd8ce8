"""The fast reader of mfagen's block layout returns exactly what python-hcl2 returns, or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from mfagen.audit.read import hcl_blocks_fast
from mfagen.audit.read.hcl_blocks import parse

from .cases import EXAMPLES, Files, rendered
from .test_mutations import EQUIVALENT, MUTANTS


def by_hcl2(text: str) -> dict[str, Any] | None:
    try:
        return parse(text)
    except SyntaxError:
        return None


def terraform(files: Files) -> dict[str, str]:
    """Each *.tf file, as hcl_blocks hands it to a parser."""
    return {path: text for path, text in files.items() if path.endswith(".tf")}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_reads_every_rendered_file_as_python_hcl2_does(example: str) -> None:
    for path, text in terraform(rendered(example)).items():
        fast = hcl_blocks_fast.parse(text)
        assert fast is not None, path
        assert fast == by_hcl2(text), path


def test_reads_every_edited_file_as_python_hcl2_does_or_not_at_all() -> None:
    """Every file the mutation tests edit: the same reading, or python-hcl2's alone."""
    read = 0
    for _, example, mutate, *_ in [*MUTANTS, *EQUIVALENT]:
        before = terraform(rendered(example))
        for path, text in terraform(mutate(rendered(example))).items():
            if before.get(path) == text:
                continue
            fast = hcl_blocks_fast.parse(text)
            if fast is not None:  # the edits that leave the layout: test_anything_else_...
                read += 1
                assert fast == by_hcl2(text), (example, path)
    assert read > 20


BLOCK = """resource "aws_iam_role" "dev__admin" {
  provider             = aws.dev
  name                 = "AdminMFARole"
  max_session_duration = 7200
  assume_role_policy   = <<-EOT
    {"Version": "2012-10-17", "Statement": []}
  EOT
}
"""


@pytest.mark.parametrize(
    "edited",
    [
        BLOCK.replace('"AdminMFARole"', '"AdminMFARole" # note'),
        BLOCK.replace('"AdminMFARole"', '"Admin\\u004dFARole"'),
        BLOCK.replace('"AdminMFARole"', '"${var.name}"'),
        BLOCK.replace("[]}", '[{"Resource": "${aws:username}"}]}'),
        BLOCK.replace("  name ", "\tname "),
        BLOCK.replace("  name ", "   name "),
        BLOCK.replace("  provider ", "  // c\n  provider "),
        BLOCK.replace("7200", "3600\n  max_session_duration = 7200"),
        BLOCK.replace("7200", "07200"),
        BLOCK.replace("<<-EOT", "<<EOT"),
        BLOCK.replace("aws.dev", 'aws_iam_user.user["a\\"b"].name'),
        BLOCK.replace("aws.dev", 'aws_iam_user.user["a${b}"].name'),
        BLOCK.replace("aws.dev", '[aws.dev, "x"]'),
        BLOCK.replace("aws.dev", '{ "a" = "b", "a" = "c" }'),
        BLOCK.replace("aws.dev", '{ "a" = aws.dev }'),
        BLOCK.replace("aws.dev", '{ "a" = "b" , "c" = "d" }'),
        BLOCK.replace("\n}\n", "\n} \n"),
        BLOCK.replace("\n}\n", "\n"),
        BLOCK.replace("\n", "\r\n"),
        BLOCK + "lifecycle {}\n",
    ],
)
def test_anything_else_goes_to_python_hcl2(edited: str) -> None:
    assert hcl_blocks_fast.parse(BLOCK) == by_hcl2(BLOCK)
    assert hcl_blocks_fast.parse(edited) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        'resource "a" "b" {\n}\n',
        'resource "a" "b" {\n  x = []\n  y = toset([])\n  z = {\n  }\n}\n',
        'resource "a" "b" {\n  for_each = toset(["x", "y"])\n  n = 0\n  ok = false\n}\n',
        'resource "a" "b" {\n  user = aws_iam_user.user[each.key].name\n}\n',
        'resource "a" "b" {\n  user = aws_iam_user.user["first.last+x=y,z@example.com"].name\n}\n',
        'moved {\n  from = aws_iam_user.user["a-b_c"]\n  to   = aws_iam_user.a-b__c\n}\n',
        'resource "a" "b" {\n  tags = {}\n  more = { "k" = "v", "mfagen-tier-x" = "true" }\n}\n',
        'resource "a" "b" {\n  groups = [aws_iam_group.a.name, aws_iam_group.b-c.name]\n}\n',
        'resource "a" "b" {\n  # inside\n  nested {\n    # deeper\n    x = "1"\n  }\n}\n',
        'terraform {\n  backend "s3" {\n    key = "k"\n  }\n}\n',
        'resource "a" "b" {\n  p = <<-EOT\n    # not a comment $${aws:username}\n  EOT\n}\n',
        'resource "a" "b" {\n}\nresource "a" "b" {\n  x = "second"\n}\n',
    ],
)
def test_the_plain_layout_reads_as_python_hcl2_reads_it(text: str) -> None:
    fast = hcl_blocks_fast.parse(text)
    assert fast is not None
    assert fast == by_hcl2(text)
