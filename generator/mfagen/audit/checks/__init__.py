"""The invariant checks and the report: who is asked about (subjects, probes), who can
assume which role (access, with trust_signatures and trust_gates), the access
matrix, invariants 1-6, IAM's quotas, and the report with its evidence.
"""
