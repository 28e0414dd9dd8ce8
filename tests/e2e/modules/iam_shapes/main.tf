# Every IAM shape mfagen emits, written the way its templates render them: heredoc JSON
# (2-space indent), "Action" both as a string and as a one-element list, Condition values as
# strings and as a JSON boolean, tags, memberships, and AWS managed policy attachments
# (needs MOTO_IAM_LOAD_MANAGED_POLICIES=true on the moto server).
# Expected: apply, then `plan -detailed-exitcode` exits 0 (no perpetual diff).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}
provider "aws" {
  alias               = "identity"
  region              = "us-east-1"
  allowed_account_ids = ["111111111111"]
}
provider "aws" {
  alias               = "prod"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
  }
}

# ---------- identity account: users, group, MFA-enforcing policy
resource "aws_iam_user" "alice" {
  provider = aws.identity
  name     = "alice"
  tags = {
    ManagedBy = "mfagen"
    Team      = "platform"
  }
}
resource "aws_iam_user" "bob" {
  provider = aws.identity
  name     = "bob"
  tags     = { ManagedBy = "mfagen" }
}
resource "aws_iam_group" "admins" {
  provider = aws.identity
  name     = "admins"
}
resource "aws_iam_group" "readers" {
  provider = aws.identity
  name     = "readers"
  path     = "/mfagen/"
}
resource "aws_iam_user_group_membership" "alice" {
  provider = aws.identity
  user     = aws_iam_user.alice.name
  groups   = [aws_iam_group.admins.name, aws_iam_group.readers.name]
}
resource "aws_iam_user_group_membership" "bob" {
  provider = aws.identity
  user     = aws_iam_user.bob.name
  groups   = [aws_iam_group.readers.name]
}
resource "aws_iam_group_policy" "admins_assume" {
  provider = aws.identity
  name     = "assume-admin-roles"
  group    = aws_iam_group.admins.name
  policy   = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "AssumeAdminWithMfa",
          "Effect": "Allow",
          "Action": "sts:AssumeRole",
          "Resource": [
            "arn:aws:iam::111111111111:role/admin",
            "arn:aws:iam::222222222222:role/admin"
          ],
          "Condition": {
            "Bool": {
              "aws:MultiFactorAuthPresent": "true"
            },
            "NumericLessThan": {
              "aws:MultiFactorAuthAge": "43200"
            }
          }
        }
      ]
    }
  EOT
}
resource "aws_iam_policy" "force_mfa" {
  provider    = aws.identity
  name        = "force-mfa"
  description = "Deny everything except MFA self-management without MFA"
  policy      = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "AllowManageOwnMfa",
          "Effect": "Allow",
          "Action": [
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:ListMFADevices",
            "iam:ResyncMFADevice"
          ],
          "Resource": [
            "arn:aws:iam::*:mfa/$${aws:username}",
            "arn:aws:iam::*:user/$${aws:username}"
          ]
        },
        {
          "Sid": "DenyAllExceptListedIfNoMfa",
          "Effect": "Deny",
          "NotAction": [
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:GetUser",
            "iam:ListMFADevices",
            "iam:ListVirtualMFADevices",
            "iam:ResyncMFADevice",
            "sts:GetSessionToken"
          ],
          "Resource": "*",
          "Condition": {
            "BoolIfExists": {
              "aws:MultiFactorAuthPresent": "false"
            }
          }
        }
      ]
    }
  EOT
}
resource "aws_iam_group_policy_attachment" "readers_force_mfa" {
  provider   = aws.identity
  group      = aws_iam_group.readers.name
  policy_arn = aws_iam_policy.force_mfa.arn
}
resource "aws_iam_group_policy_attachment" "readers_readonly" {
  provider   = aws.identity
  group      = aws_iam_group.readers.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

# ---------- roles in both accounts
resource "aws_iam_role" "admin_identity" {
  provider             = aws.identity
  name                 = "admin"
  max_session_duration = 43200
  assume_role_policy   = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111111111111:root"
          },
          "Action": "sts:AssumeRole",
          "Condition": {
            "Bool": {
              "aws:MultiFactorAuthPresent": "true"
            }
          }
        }
      ]
    }
  EOT
  tags                 = { ManagedBy = "mfagen" }
}
resource "aws_iam_role_policy_attachment" "admin_identity" {
  provider   = aws.identity
  role       = aws_iam_role.admin_identity.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
resource "aws_iam_role" "admin_prod" {
  provider           = aws.prod
  name               = "admin"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "AWS": [
              "arn:aws:iam::111111111111:root"
            ]
          },
          "Action": [
            "sts:AssumeRole"
          ],
          "Condition": {
            "Bool": {
              "aws:MultiFactorAuthPresent": "true"
            },
            "NumericLessThan": {
              "aws:MultiFactorAuthAge": "3600"
            }
          }
        }
      ]
    }
  EOT
}
resource "aws_iam_role_policy_attachment" "admin_prod" {
  provider   = aws.prod
  role       = aws_iam_role.admin_prod.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
resource "aws_iam_role" "readonly_prod" {
  provider           = aws.prod
  name               = "readonly"
  path               = "/mfagen/"
  description        = "Read only, MFA required"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111111111111:root"
          },
          "Action": "sts:AssumeRole",
          "Condition": {
            "Bool": {
              "aws:MultiFactorAuthPresent": true
            }
          }
        }
      ]
    }
  EOT
}
resource "aws_iam_policy" "prod_custom" {
  provider = aws.prod
  name     = "prod-custom"
  path     = "/mfagen/"
  policy   = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "s3:ListAllMyBuckets",
          "Resource": "*"
        }
      ]
    }
  EOT
}
resource "aws_iam_role_policy_attachment" "readonly_prod_custom" {
  provider   = aws.prod
  role       = aws_iam_role.readonly_prod.name
  policy_arn = aws_iam_policy.prod_custom.arn
}
resource "aws_iam_role_policy_attachment" "readonly_prod_managed" {
  provider   = aws.prod
  role       = aws_iam_role.readonly_prod.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
resource "aws_iam_group" "prod_ops" {
  provider = aws.prod
  name     = "ops"
}
resource "aws_iam_group_policy" "prod_ops_inline" {
  provider = aws.prod
  name     = "inline"
  group    = aws_iam_group.prod_ops.name
  policy   = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["iam:ListRoles"],
          "Resource": "*"
        }
      ]
    }
  EOT
}
resource "aws_iam_group_policy_attachment" "prod_ops_managed" {
  provider   = aws.prod
  group      = aws_iam_group.prod_ops.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
