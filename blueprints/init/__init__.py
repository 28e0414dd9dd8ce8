"""The starter accounts.yaml that `mfagen init` writes."""
