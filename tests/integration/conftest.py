"""Session fixture `sandbox`: real hosts (sshd + dockerd), a registry and kamal-proxy, on loopback.

The object it yields (pykamal.sandbox.core.Sandbox) offers:
  .hosts                     host addresses, e.g. ["127.0.1.11", "127.0.1.12", "127.0.1.13"]
  .ssh_config_path           OpenSSH config reaching every host (key, strict known_hosts)
  .known_hosts_path, .key_path, .user ("root")
  .registry                  registry address, the same for push (here) and pull (hosts)
  .run_on_host(host, cmd)    docker exec into the host container -> CompletedProcess[str]
  .command_log(host)         every command sshd received on the host, oldest first
  .clear_command_log(host)
  .make_ssh_env()            os.environ plus PYKAMAL_SANDBOX_SSH_CONFIG / _REGISTRY / _HOSTS ...
  .reset_hosts()             remove every container, network, volume and ~/.kamal on the hosts
Hosts pull basecamp/kamal-proxy:v0.9.2 and pykamal-sandbox/busybox through their registry mirror.
PYKAMAL_SANDBOX_KEEP=1 keeps the sandbox after the session (the next session reuses it);
PYKAMAL_TEST_SANDBOX_HOSTS=N changes the number of hosts (default 3).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pykamal.sandbox.core import Sandbox
from pykamal.sandbox.errors import SandboxError
from pykamal.sandbox.testing import session_sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    try:
        with session_sandbox() as running:
            yield running
    except SandboxError as exc:
        pytest.fail(f"sandbox unavailable: {exc}", pytrace=False)
