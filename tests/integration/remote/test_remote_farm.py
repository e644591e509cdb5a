"""The SSH executor against real sshd processes on loopback addresses (see sshd_farm.py)."""

from __future__ import annotations

import asyncio
import io
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sshd_farm import SshdFarm

from pykamal.commands.base import Raw, Sensitive, cmd
from pykamal.remote.executor import run_command_on
from pykamal.remote.output import Output
from pykamal.remote.result import CommandTimeout, ConnectError, FanOutError
from pykamal.remote.ssh import SshExecutor
from pykamal.remote.ssh_settings import JumpHost, SshSettings

pytestmark = pytest.mark.integration

UNUSED_ADDRESS = "127.0.81.250"  # nothing listens there


def settings(farm: SshdFarm, **changes: object) -> SshSettings:
    base = SshSettings(user=farm.user, config_files=(str(farm.ssh_config_path),), connect_timeout=5)
    return replace(base, **changes)  # type: ignore[arg-type]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_runs_on_several_hosts_in_parallel_over_one_connection_each(farm: SshdFarm) -> None:
    hosts = farm.addresses[:3]

    async def main() -> tuple[float, dict[str, str]]:
        async with SshExecutor(settings(farm), Output("error")) as executor:
            await run_command_on(executor, hosts, cmd("true"))  # connect
            started = time.monotonic()
            results = await run_command_on(executor, hosts, cmd("sh", "-c", "sleep 1; echo $HOME"))
            for _ in range(5):
                await run_command_on(executor, hosts, cmd("true"))
            return time.monotonic() - started, {h: r.stdout.strip() for h, r in results.items()}

    elapsed, homes = run(main())
    assert elapsed < 2.5  # three 1 s sleeps at once, plus five quick rounds
    assert homes == {h: str(farm.host(h).home) for h in hosts}
    for host in hosts:  # sshd logs every session; one TCP connection carried them all
        assert farm.host(host).command_log().count("true") == 6


def test_upload_is_created_with_mode_0600_and_replaces_wider_files(farm: SshdFarm) -> None:
    host = farm.hosts[0]
    existing = host.home / "old.env"
    existing.write_text("OLD=1\n")
    existing.chmod(0o644)

    async def main() -> str:
        async with SshExecutor(settings(farm), Output("error")) as executor:
            await executor.upload(host.address, "SECRET=1\n", "new.env")
            await executor.upload(host.address, b"SECRET=2\n", "old.env")
            await executor.run(host.address, cmd("mkdir", "-p", "sub/dir"))
            await executor.upload(host.address, "x", "sub/dir/file.txt", mode=0o644)
            return (await executor.run(host.address, cmd("stat", "-c", "%a %n", "new.env", "old.env"))).stdout

    assert run(main()).split() == ["600", "new.env", "600", "old.env"]
    assert stat.S_IMODE((host.home / "new.env").stat().st_mode) == 0o600
    assert (host.home / "old.env").read_text() == "SECRET=2\n"
    assert stat.S_IMODE((host.home / "sub/dir/file.txt").stat().st_mode) == 0o644
    assert not [p for p in host.home.iterdir() if ".pykamal-" in p.name]


def test_upload_works_without_sftp_and_keeps_the_mode(farm: SshdFarm) -> None:
    host = farm.hosts[2]
    farm.set_sftp(host, False)
    try:
        (host.home / "wide.env").write_text("OLD\n")
        (host.home / "wide.env").chmod(0o666)

        async def main() -> None:
            async with SshExecutor(settings(farm), Output("error")) as executor:
                await executor.upload(host.address, b"A=1\n\x00binary", "wide.env")
                await executor.upload(host.address, "x", "readonly.txt", mode=0o400)

        run(main())
    finally:
        farm.set_sftp(host, True)
    assert (host.home / "wide.env").read_bytes() == b"A=1\n\x00binary"
    assert stat.S_IMODE((host.home / "wide.env").stat().st_mode) == 0o600
    assert stat.S_IMODE((host.home / "readonly.txt").stat().st_mode) == 0o400
    assert not [p for p in host.home.iterdir() if ".pykamal-" in p.name]
    assert any(line.startswith("umask 177 && cat > .wide.env.pykamal-") for line in host.command_log())


def test_upload_into_a_missing_directory_fails_clearly(farm: SshdFarm) -> None:
    async def main() -> None:
        async with SshExecutor(settings(farm), Output("error")) as executor:
            await executor.upload(farm.addresses[0], "x", "missing/dir/file")

    with pytest.raises(Exception, match=rf"upload to missing/dir/file on {farm.addresses[0]} failed"):
        run(main())


def test_changed_host_key_is_refused_while_other_hosts_work(farm: SshdFarm, tmp_path: Path) -> None:
    victim, other = farm.hosts[3], farm.hosts[2]
    known_hosts_before = farm.known_hosts_path.read_text()
    farm.restart_host(victim, new_host_key=True)
    try:

        async def main() -> None:
            async with SshExecutor(settings(farm), Output("error")) as executor:
                await run_command_on(executor, [other.address, victim.address], cmd("true"))

        with pytest.raises(FanOutError) as info:
            run(main())
        assert list(info.value.failures) == [victim.address]
        assert other.address in info.value.results
        message = str(info.value)
        assert f"host key for {victim.address} has CHANGED" in message
        assert "ssh-keygen -R" in message
        assert farm.known_hosts_path.read_text() == known_hosts_before  # never overwritten
    finally:
        farm.write_known_hosts()  # trust the new key again for the other tests


def test_unknown_host_is_recorded_with_accept_new_and_refused_when_strict(
    farm: SshdFarm, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    config = tmp_path / "ssh_config"
    config.write_text(f"Host *\n  IdentityFile {farm.client_key}\n  UserKnownHostsFile {known_hosts}\n")
    host = farm.addresses[1]

    async def connect(policy: str) -> None:
        chosen = settings(farm, config_files=(str(config),), host_key_checking=policy)
        async with SshExecutor(chosen, Output("error")) as executor:
            await executor.run(host, cmd("true"))

    with pytest.raises(ConnectError, match="is not in known_hosts"):
        run(connect("strict"))
    assert not known_hosts.exists()
    run(connect("accept-new"))
    assert known_hosts.read_text() == f"{host} {farm.host(host).public_host_key()}\n"
    run(connect("strict"))  # now known


def test_unreachable_hosts_fail_within_the_timeout_and_the_others_are_reported(farm: SshdFarm) -> None:
    paused = farm.hosts[1]
    farm.pause_host(paused)  # TCP connects, but the SSH handshake never starts
    try:

        async def main() -> None:
            chosen = settings(farm, connect_timeout=2)
            async with SshExecutor(chosen, Output("error")) as executor:
                await run_command_on(
                    executor, [farm.addresses[0], paused.address, UNUSED_ADDRESS], cmd("hostname")
                )

        started = time.monotonic()
        with pytest.raises(FanOutError) as info:
            run(main())
        elapsed = time.monotonic() - started
    finally:
        farm.resume_host(paused)
    assert elapsed < 6
    error = info.value
    assert set(error.results) == {farm.addresses[0]}
    assert str(error).startswith("failed on 2 of 3 hosts: ")
    assert f"{paused.address}: timed out after 2 s connecting to {farm.user}@{paused.address}:22" in str(
        error
    )
    assert (
        f"{UNUSED_ADDRESS}: could not connect to {farm.user}@{UNUSED_ADDRESS}:22: connection refused"
        in str(error)
    )


def test_command_timeout_names_host_and_command(farm: SshdFarm) -> None:
    host = farm.addresses[0]

    async def main() -> None:
        async with SshExecutor(settings(farm), Output("error")) as executor:
            await executor.run(host, cmd("sleep", "30"), timeout=1)

    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=rf"^timed out after 1 s on {host} running `sleep 30`$"):
        run(main())
    assert time.monotonic() - started < 5


def test_streaming_stdin_and_redaction(farm: SshdFarm) -> None:
    import io

    lines: list[tuple[str, str]] = []
    stream = io.StringIO()
    output = Output("debug", stream=stream, color=False)

    async def main() -> str:
        async with SshExecutor(settings(farm), output) as executor:
            command = cmd("sh", "-c", Raw("'cat; echo to-stderr >&2'"), stdin=Sensitive("hunter2-password\n"))
            result = await executor.run(farm.addresses[0], command, on_line=lambda *item: lines.append(item))
            return result.stdout

    assert run(main()) == "hunter2-password\n"
    assert ("stdout", "hunter2-password") in lines and ("stderr", "to-stderr") in lines
    assert "hunter2-password" not in stream.getvalue()
    assert "[REDACTED]" in stream.getvalue()


def test_remote_port_forwarding_reaches_this_machine(farm: SshdFarm) -> None:
    async def main() -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"hello through the tunnel\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        local_port = server.sockets[0].getsockname()[1]
        remote_port = local_port + 1 if local_port < 65000 else local_port - 1
        async with SshExecutor(settings(farm), Output("error")) as executor:
            host = farm.addresses[0]
            async with executor.forward_remote_port(host, remote_port, local_port) as listening:
                assert listening == remote_port
                probe = (
                    f"import socket; s = socket.create_connection(('127.0.0.1', {remote_port})); "
                    "print(s.recv(100).decode())"
                )
                result = await executor.run(host, cmd("python3", "-c", probe))
        server.close()
        return result.stdout

    assert run(main()).strip() == "hello through the tunnel"


def test_a_bad_known_hosts_line_is_skipped_and_named(farm: SshdFarm, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    host = farm.addresses[1]
    known_hosts.write_text(f"truncated-line\n{host} {farm.host(host).public_host_key()}\n")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host *\n  IdentityFile {farm.client_key}\n  UserKnownHostsFile {known_hosts}\n")
    errors = io.StringIO()
    chosen = settings(farm, config_files=(str(config),), host_key_checking="strict")

    async def main() -> str:
        async with SshExecutor(chosen, Output("info", err_stream=errors, color=False)) as executor:
            return (await executor.run(host, cmd("echo", "reached"))).stdout.strip()

    assert run(main()) == "reached"
    assert errors.getvalue().count(f"{known_hosts}:1: skipped a line") == 1


def test_jump_host_and_proxy_command(farm: SshdFarm) -> None:
    jump, target = farm.hosts[0], farm.hosts[2]
    jump.clear_command_log()

    async def through(chosen: SshSettings) -> str:
        async with SshExecutor(chosen, Output("error")) as executor:
            return (await executor.run(target.address, cmd("sh", "-c", "echo $HOME"))).stdout.strip()

    via_jump = settings(farm, proxy=JumpHost(farm.user, jump.address, 22))
    assert run(through(via_jump)) == str(target.home)
    via_command = settings(
        farm, proxy_command=f"ssh -F {farm.ssh_config_path} -W %h:%p {farm.user}@{jump.address}"
    )
    assert run(through(via_command)) == str(target.home)


def test_key_data_without_any_ssh_config(farm: SshdFarm) -> None:
    pem = farm.client_key.read_text()
    chosen = settings(farm, config_files=None, key_data=(pem,), keys_only=True, host_key_checking="off")

    async def main() -> str:
        async with SshExecutor(chosen, Output("error")) as executor:
            return (await executor.run(farm.addresses[0], cmd("echo", "ok"))).stdout

    assert run(main()) == "ok\n"


def test_wrong_key_is_an_authentication_error(farm: SshdFarm, tmp_path: Path) -> None:
    import asyncssh

    other = tmp_path / "other_key"
    other.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    chosen = settings(farm, config_files=None, keys=(str(other),), keys_only=True, host_key_checking="off")

    async def main() -> None:
        async with SshExecutor(chosen, Output("error")) as executor:
            await executor.run(farm.addresses[0], cmd("true"))

    with pytest.raises(ConnectError, match=f"authentication failed for {farm.user}@{farm.addresses[0]}"):
        run(main())


def test_idle_connections_are_replaced(farm: SshdFarm) -> None:
    host = farm.addresses[0]

    async def main() -> bool:
        async with SshExecutor(settings(farm, pool_idle_timeout=0.2), Output("error")) as executor:
            first = await executor.connection(host)
            assert await executor.connection(host) is first
            await asyncio.sleep(0.3)
            second = await executor.connection(host)
            await executor.run(host, cmd("true"))
            return second is not first

    assert run(main())
