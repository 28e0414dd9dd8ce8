"""Jinja2 blueprints mfagen renders; shipped inside the wheel as package data."""
