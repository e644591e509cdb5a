"""Shared text for the config tests."""

BASE = """service: app
image: a/app
servers: [10.0.0.1]
registry: {username: u, password: p}
builder: {arch: amd64}
"""
