"""Configs for unit tests of the accessory flows (nothing runs: ``make_run`` records)."""

from __future__ import annotations

from pathlib import Path

from project_files import write_project

from pykamal.config import load_config
from pykamal.config.model import Config

SECRET = "s3cr3t-Value-9d1e"
REGISTRY_PASSWORD = "reg-Pa55-4b7a"
DB_PASSWORD = "db-Pa55-81c2"

CONFIG = """
service: app
image: team/app
servers:
  web:
    hosts: [h1, h2]
  jobs:
    hosts:
      - h3: [batch]
      - h4
registry:
  server: registry.example.test
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
accessories:
  cache:
    image: kv:1
    hosts: [h1, h5]
    port: 7000
    cmd: /kv/serve --verbose
    labels:
      tier: data
    options:
      memory: 64m
    env:
      clear:
        GREETING: hello there
      secret:
        - KV_SECRET
    files:
      - config/kv.conf:/etc/kv/kv.conf
      - local: config/init.sh.erb
        remote: /docker-entrypoint.d/init.sh
        mode: "0700"
        owner: "1000:1000"
    directories:
      - data:/data
      - /srv/shared:/shared:ro
    volumes:
      - kvlogs:/logs
  db:
    image: mysql:8
    service: database
    role: jobs
    network: backend
    registry:
      server: other.example.test
      username: [DB_REGISTRY_USER]
      password: [DB_REGISTRY_PASSWORD]
  search:
    image: search:2
    tag: batch
    proxy:
      host: search.example.test
      app_port: 9200
      healthcheck:
        path: /health
"""

SECRETS = (
    f"KAMAL_REGISTRY_PASSWORD={REGISTRY_PASSWORD}\n"
    f"KV_SECRET={SECRET}\n"
    "DB_REGISTRY_USER=dbuser\n"
    f"DB_REGISTRY_PASSWORD={DB_PASSWORD}\n"
)

ERB_TEMPLATE = """#!/bin/sh
echo greeting=<%= ENV["GREETING"] %>
echo secret=<%= ENV["KV_SECRET"] %>
"""


# the files the accessories of CONFIG upload
FILES = {"config/kv.conf": "greeting=plain\n", "config/init.sh.erb": ERB_TEMPLATE}


def load(root: Path, text: str = CONFIG, secrets: str = SECRETS) -> Config:
    """Write the project into ``root`` (the test has chdir'ed there) and load its config."""
    write_project(root, text, secrets, FILES)
    return load_config("config/deploy.yml", version="abc123")
