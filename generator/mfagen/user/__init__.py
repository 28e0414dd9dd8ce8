"""The user's side: what runs on a user's own machine, with no accounts.yaml.

`install-profile` merges a handed-out profile block into `~/.aws/config` (`install`, `block`);
`mfagen enrol` creates, shows and enables the user's MFA device with their own keys
(`enrol`, `awsconfig`, `prompts`), which needs the `aws` extra (botocore, segno).
"""
