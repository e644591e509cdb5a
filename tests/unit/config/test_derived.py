"""Values worked out from the configuration, as Kamal works them out."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from project_files import BASE

from pykamal.commands.base import Sensitive
from pykamal.config import load_config
from pykamal.config.model import SecretRef
from pykamal.errors import ConfigError, SecretsError

ROLES = """service: shop
image: acme/shop
servers:
  workers:
    hosts: [10.0.0.3, 10.0.0.1]
    cmd: bin/jobs
    env:
      clear: {QUEUE: all}
      secret: [JOBS_KEY]
    logging:
      options: {max-size: 1g}
  web:
    - 10.0.0.1
    - 10.0.0.2: [canary, eu]
  api:
    hosts:
      - 10.0.0.4: eu
    proxy:
      host: api.example.com
registry:
  server: ghcr.io
  username: acme
  password: [REGISTRY_TOKEN]
builder: {arch: amd64}
env:
  clear: {RAILS_ENV: production, LEVEL: info}
  secret: [DB_PASSWORD, API_KEY:SHARED_KEY]
  tags:
    canary:
      LEVEL: debug
    eu:
      clear: {REGION: eu}
      secret: [EU_KEY]
logging:
  driver: json-file
proxy:
  host: shop.example.com
  app_port: 3000
  healthcheck: {path: /health}
accessories:
  db:
    image: mysql:8
    role: web
  cache:
    image: redis
    tags: [eu]
  search:
    image: search
    hosts: [10.0.0.9, 10.0.0.1]
  mail:
    image: mail
    roles: [api, workers]
  backup:
    image: backup
    host: 10.0.0.8
    registry:
      server: registry.internal
      username: u
      password: [BACKUP_PW]
boot:
  limit: 30%
"""


def test_names(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), destination=None, version="abc1234def")
    assert config.repository == "ghcr.io/acme/shop"
    assert config.absolute_image == "ghcr.io/acme/shop:abc1234def"
    assert config.latest_image == "ghcr.io/acme/shop:latest"
    assert config.service_with_version == "shop-abc1234def"
    assert config.abbreviated_version == "abc1234"
    assert config.role("web").container_name(config.version) == "shop-web-abc1234def"
    assert config.role("web").container_prefix == "shop-web"


def test_names_with_destination(write_config: Callable[..., str]) -> None:
    path = write_config(ROLES)
    Path("config/deploy.beta.yml").write_text("image: acme/shop-beta\n")
    config = load_config(path, destination="beta", version="v1")
    assert config.latest_tag == "latest-beta"
    assert config.latest_image == "ghcr.io/acme/shop-beta:latest-beta"
    assert config.role("web").container_name("v1") == "shop-web-beta-v1"
    assert config.service_and_destination == "shop-beta"
    assert config.lock_directory == ".kamal/lock-shop-beta"
    assert config.role_env_file(config.role("web")) == ".kamal/apps/shop-beta/env/roles/web.env"


def test_roles_and_hosts_order(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    assert [role.name for role in config.roles] == ["web", "api", "workers"]  # primary first
    assert config.role_names == ("api", "web", "workers")
    assert config.primary_role.name == "web"
    assert config.primary_host == "10.0.0.1"
    # roles alphabetically, then accessories, without repeats (Kamal's all_hosts)
    assert config.all_hosts == ("10.0.0.4", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9", "10.0.0.8")
    assert config.app_hosts == ("10.0.0.4", "10.0.0.1", "10.0.0.2", "10.0.0.3")
    assert config.role("workers").hosts == ("10.0.0.3", "10.0.0.1")


def test_primary_role_setting(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES + "primary_role: workers\n"), version="v")
    assert [role.name for role in config.roles] == ["workers", "api", "web"]
    assert config.primary_host == "10.0.0.3"
    assert config.role("web").proxy is None  # no longer primary, so not proxied by default


def test_env_per_role_and_host(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    web = config.role("web")
    assert dict(config.env_for(web, "10.0.0.1").clear) == {"RAILS_ENV": "production", "LEVEL": "info"}
    canary = config.env_for(web, "10.0.0.2")
    assert dict(canary.clear) == {"RAILS_ENV": "production", "LEVEL": "debug", "REGION": "eu"}
    assert canary.secret_keys == (
        ("DB_PASSWORD", "DB_PASSWORD"),
        ("API_KEY", "SHARED_KEY"),
        ("EU_KEY", "EU_KEY"),
    )
    workers = config.role("workers").env
    assert dict(workers.clear) == {"RAILS_ENV": "production", "LEVEL": "info", "QUEUE": "all"}
    assert [name for name, _ in workers.secret_keys] == ["DB_PASSWORD", "API_KEY", "JOBS_KEY"]
    assert config.role("web").tags_for("10.0.0.2") == ("canary", "eu")


def test_logging_merged_per_role(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    assert config.logging.args() == ["--log-driver", '"json-file"']
    assert config.role("workers").logging.args() == [
        "--log-driver",
        '"json-file"',
        "--log-opt",
        'max-size="1g"',
    ]


def test_default_logging_args(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(BASE), version="v")
    assert config.logging.args() == ["--log-opt", 'max-size="10m"']


def test_proxies_merge_role_over_root(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    web, api, workers = config.role("web").proxy, config.role("api").proxy, config.role("workers").proxy
    assert web is not None and api is not None
    assert workers is None
    assert web.hosts == ("shop.example.com",)
    assert api.hosts == ("api.example.com",)
    assert api.app_port == 3000 and api.healthcheck_path == "/health"
    assert config.proxy_hosts == ("10.0.0.4", "10.0.0.1", "10.0.0.2")


def test_accessory_hosts(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    assert config.accessory("db").hosts == ("10.0.0.1", "10.0.0.2")
    assert config.accessory("cache").hosts == ("10.0.0.4", "10.0.0.2")
    assert config.accessory("search").hosts == ("10.0.0.9", "10.0.0.1")
    assert config.accessory("mail").hosts == ("10.0.0.4", "10.0.0.3", "10.0.0.1")
    assert config.accessory("backup").hosts == ("10.0.0.8",)
    assert config.accessory("backup").image == "registry.internal/backup"
    assert config.accessory("db").service == "shop-db"


def test_boot_limit_percentage_counts_all_hosts(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    assert config.boot.limit == 1  # 6 hosts * 30 // 100 = 1
    small = load_config(write_config(BASE + "boot:\n  limit: 10%\n"), version="v")
    assert small.boot.limit == 1  # never below one
    fixed = load_config(write_config(BASE + "boot:\n  limit: 3\n  wait: 2\n"), version="v")
    assert (fixed.boot.limit, fixed.boot.wait) == (3, 2)


# --- version --------------------------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(write_config: Callable[..., str]) -> Callable[[str], str]:
    def make(text: str) -> str:
        path = write_config(text)
        git("init", "-q")
        git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
        git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "init")
        return path

    return make


def test_version_precedence(repo: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = repo(BASE)
    head = git("rev-parse", "HEAD")
    assert load_config(path).version == head
    monkeypatch.setenv("VERSION", "from-env")
    assert load_config(path).version == "from-env"
    assert load_config(path, version="given").version == "given"


def test_dirty_tree_adds_suffix_only_when_building_the_working_directory(repo: Callable[[str], str]) -> None:
    path = repo(BASE.replace("builder: {arch: amd64}", "builder: {arch: amd64, context: .}"))
    head = git("rev-parse", "HEAD")
    assert load_config(path).version == head
    Path("untracked.txt").write_text("x")
    dirty = load_config(path)
    assert re.fullmatch(rf"{head}_uncommitted_[0-9a-f]{{16}}", dirty.version)
    assert dirty.abbreviated_version == dirty.version  # not shortened once it has a suffix
    assert dirty.version == dirty.version  # worked out once per configuration
    clone_build = repo(BASE)  # no builder.context: the image is built from a clean clone
    Path("untracked.txt").write_text("y")
    assert load_config(clone_build).version == git("rev-parse", "HEAD")


def test_version_is_resolved_once_and_lazily(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(BASE))  # not a git repository: only fails when needed
    with pytest.raises(ConfigError, match=r"^Can't use commit hash as version, no git repository found in "):
        _ = config.version
    assert config.service == "app"


def test_version_can_be_replaced(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(BASE), version="one")
    assert dataclasses.replace(config, version="two").version == "two"
    assert config.with_version("three").absolute_image == "a/app:three"
    assert config.version == "one"


# --- secrets stay references -----------------------------------------------------------------------


def test_registry_credentials_are_resolved_only_when_asked(write_config: Callable[..., str]) -> None:
    marker = Path("ran")
    path = write_config(ROLES)
    Path(".kamal").mkdir()
    Path(".kamal/secrets").write_text(
        f"REGISTRY_TOKEN=$(touch {marker.resolve()} && echo s3cret)\nBACKUP_PW=pw\n"
    )
    config = load_config(path, version="v")
    assert config.registry.password == SecretRef("REGISTRY_TOKEN")
    assert config.registry.username == "acme"
    assert not marker.exists()  # loading ran no substitution
    password = config.registry_password()
    assert isinstance(password, Sensitive) and password.value == "s3cret" and str(password) == "[REDACTED]"
    assert marker.exists()
    backup = config.accessory("backup").registry
    assert backup is not None and backup.resolve_password(config.secrets) == Sensitive("pw")


def test_missing_secret_is_reported_on_use(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(ROLES), version="v")
    with pytest.raises(SecretsError, match=r"Secret 'REGISTRY_TOKEN' not found"):
        config.registry_password()


def test_literal_password_is_still_sensitive(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(BASE), version="v")
    assert config.registry_password() == Sensitive("p")
    assert config.registry_username() == "u"
