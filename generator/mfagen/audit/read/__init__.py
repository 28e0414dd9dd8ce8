"""Reading the committed files: the Terraform module (HCL) into the IAM it creates
(model.Module), and the AWS CLI profile files. Each format has a full reader and a fast
one for mfagen's own layout, named as a pair (hcl_blocks / hcl_blocks_fast, profiles /
profiles_fast); the tests prove each pair equal.
"""
