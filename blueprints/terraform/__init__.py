"""Terraform blueprints."""
