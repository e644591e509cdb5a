"""Plain scalars are read as Ruby's Psych reads them (the values Kamal sees)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from pykamal.config.yamlfile import parse_yaml, psych_scalar
from pykamal.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes", True),
        ("yEs", True),
        ("ON", True),
        ("true", True),
        ("no", False),
        ("Off", False),
        ("FALSE", False),
        ("y", "y"),
        ("n", "n"),
        ("Y", "Y"),
        ("~", None),
        ("null", None),
        ("nUll", None),
        ("", None),
        ("017", 15),
        ("0x1F", 31),
        ("-0x1F", -31),
        ("0b101", 5),
        ("0_7", 7),
        ("08", "08"),
        ("1,000", 1000),
        ("1_000", 1000),
        ("1__0", "1__0"),
        ("+12", 12),
        ("-0", 0),
        ("1:30", 5400),  # Psych weighs a two-part base-60 number as h*3600 + m*60
        ("1:30:15", 5415),
        ("0:30", 1800),
        ("10:75", "10:75"),
        ("3306:3306", "3306:3306"),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1,000.5", 1000.5),
        ("1.0e+5", 100000.0),
        ("1e5", "1e5"),
        (".", "."),
        (":sym", "sym"),
        ("::a", ":a"),
        (':"quoted sym"', "quoted sym"),
        ("0o17", "0o17"),
        ("12abc", "12abc"),
        ("=", "="),
        ("yes please", "yes please"),
        ("1:2:3:4", "1:2:3:4"),
    ],
)
def test_plain_scalars_follow_psych(text: str, expected: object) -> None:
    value = psych_scalar(text)
    assert value == expected
    assert type(value) is type(expected)


def test_special_floats_and_dates() -> None:
    assert psych_scalar(".inf") == math.inf
    assert psych_scalar("-.Inf") == -math.inf
    assert math.isnan(psych_scalar(".NaN"))
    assert psych_scalar("2024-01-02") == dt.date(2024, 1, 2)
    assert psych_scalar("2024-02-30") == "2024-02-30"
    assert psych_scalar("2024-01-02 10:11:12") == dt.datetime(2024, 1, 2, 10, 11, 12, tzinfo=dt.UTC)


def test_quoted_and_block_scalars_stay_strings() -> None:
    data = parse_yaml("a: \"yes\"\nb: '017'\nc: |\n  on\nd: yes\n", "f.yml")
    assert data == {"a": "yes", "b": "017", "c": "on\n", "d": True}


def test_keys_are_interpreted_too() -> None:
    assert parse_yaml("on: 1\n2: b\n", "f.yml") == {True: 1, 2: "b"}


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: &l [1, 2]\ncopy: *l\n"
    data = parse_yaml(text, "f.yml")
    assert data["other"] == {"x": 1, "y": 3}
    assert data["copy"] == [1, 2]


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as error:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "config/deploy.yml")
    assert str(error.value).startswith("config/deploy.yml:3: did not find expected ',' or ']'")


def test_syntax_error_line_is_mapped_through_a_line_map() -> None:
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:9: "):
        parse_yaml("a: 1\nb: [1\n", "config/deploy.yml", line_map=[4, 9])


def test_unknown_tags_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"^f.yml:1: could not determine a constructor"):
        parse_yaml("a: !ruby/object:Foo {}\n", "f.yml")
