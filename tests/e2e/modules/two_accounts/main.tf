# Two accounts the way mfagen renders them: the identity account's provider uses the caller's
# own credentials; every other account is reached through OrganizationAccountAccessRole.
# No endpoints here: tests point the provider at moto through AWS_ENDPOINT_URL* env vars.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  alias               = "acct_111111111111"
  region              = "us-east-1"
  allowed_account_ids = ["111111111111"]
}

provider "aws" {
  alias               = "acct_222222222222"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]

  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
  }
}

resource "aws_iam_role" "identity_probe" {
  provider           = aws.acct_111111111111
  name               = "harness-probe"
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
              "aws:MultiFactorAuthPresent": "true"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_role" "member_probe" {
  provider           = aws.acct_222222222222
  name               = "harness-probe"
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
              "aws:MultiFactorAuthPresent": "true"
            }
          }
        }
      ]
    }
  EOT
}
