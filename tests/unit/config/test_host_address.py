import pytest

from pykamal.config.host_address import split_host


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("web1", ("web1", None)),
        ("web1.example.com:2222", ("web1.example.com", 2222)),
        ("10.0.0.5:22", ("10.0.0.5", 22)),
        ("[fe80::1]:2200", ("fe80::1", 2200)),
        ("[fe80::1]", ("fe80::1", None)),
        ("fe80::1", ("fe80::1", None)),
        ("jump:bastion:2022", ("bastion", 2022)),
        ("web1:ssh", ("web1:ssh", None)),
    ],
)
def test_a_servers_entry_splits_into_address_and_port(entry: str, expected: tuple[str, int | None]) -> None:
    assert split_host(entry) == expected
