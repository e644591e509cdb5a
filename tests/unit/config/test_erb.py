"""The ERB subset: what is supported renders like Ruby's ERB with trim mode '-'; the rest is refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pykamal.config.erb import render
from pykamal.errors import ConfigError

ENV = {"HOME": "/home/me", "EMPTY": "", "NAME": "web"}


def out(template: str, env: dict[str, str] | None = None) -> str:
    return render(template, "config/deploy.yml", ENV if env is None else env).text


def test_text_without_tags_is_unchanged() -> None:
    assert out("a: 1\nb: 2\n") == "a: 1\nb: 2\n"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('<%= ENV["HOME"] %>', "/home/me"),
        ("<%= ENV['HOME'] %>", "/home/me"),
        ('<%= ENV["UNSET"] %>', ""),
        ('<%= ENV.fetch("HOME") %>', "/home/me"),
        ('<%= ENV.fetch("UNSET", "dflt") %>', "dflt"),
        ('<%= ENV.fetch("EMPTY", "dflt") %>', ""),
        ('<%= ENV["UNSET"] || "fallback" %>', "fallback"),
        ('<%= ENV["EMPTY"] || "fallback" %>', ""),  # "" is truthy in Ruby
        ('<%= ENV["UNSET"] || ENV["NAME"] %>', "web"),
        ('<%= "lit\\"eral" %>', 'lit"eral'),
        ("<%= 42 %>", "42"),
        ("<%# a comment %>", ""),
        ("<%% not a tag %>", "<% not a tag %>"),
    ],
)
def test_expressions(template: str, expected: str) -> None:
    assert out(template) == expected


def test_fetch_without_default_fails_on_missing_variable() -> None:
    with pytest.raises(ConfigError, match=r'^config/deploy.yml:2: key not found: "NOPE"'):
        out('a: 1\nb: <%= ENV.fetch("NOPE") %>\n')


@pytest.mark.parametrize(
    ("condition", "taken"),
    [
        ('ENV["HOME"]', True),
        ('ENV["UNSET"]', False),
        ('ENV["EMPTY"]', True),
        ('!ENV["UNSET"]', True),
        ('ENV["NAME"] == "web"', True),
        ('ENV["NAME"] != "web"', False),
        ('ENV.key?("EMPTY")', True),
        ('ENV["EMPTY"].present?', False),
        ('ENV["UNSET"].nil?', True),
        ('ENV["HOME"] && ENV["UNSET"]', False),
        ('ENV["UNSET"] || ENV["HOME"]', True),
        ('(ENV["UNSET"] || ENV["NAME"]) == "web"', True),
    ],
)
def test_conditions(condition: str, taken: bool) -> None:
    assert out(f"<% if {condition} %>yes<% else %>no<% end %>") == ("yes" if taken else "no")


def test_elsif_and_unless() -> None:
    template = '<% if ENV["UNSET"] %>a<% elsif ENV["NAME"] %>b<% else %>c<% end %>'
    assert out(template) == "b"
    assert out('<% unless ENV["UNSET"] %>u<% end %>') == "u"


def test_nested_ifs() -> None:
    template = '<% if ENV["HOME"] %>[<% if ENV["UNSET"] %>x<% else %>y<% end %>]<% end %>'
    assert out(template) == "[y]"


def test_dash_trimming() -> None:
    template = 'a: 1\n<% if ENV["HOME"] -%>\nb: 2\n<% end -%>\nc: 3\n  <%- if true -%>\nd: 4\n  <%- end -%>\n'
    assert out(template) == "a: 1\nb: 2\nc: 3\nd: 4\n"


def test_without_dash_the_newline_stays() -> None:
    assert out('<% if ENV["HOME"] %>\nb: 2\n<% end %>\n') == "\nb: 2\n\n"


def test_comment_with_dash_removes_its_line() -> None:
    assert out("<%# note -%>\na: 1\n") == "a: 1\n"


def test_line_map_points_at_source_lines() -> None:
    template = (
        'a: 1\n<% if ENV["UNSET"] -%>\nb: 2\n<% else -%>\nb: 3\n<% end -%>\nc: <%= ENV["HOME"] %>\nd: 4\n'
    )
    rendered = render(template, "f.yml", ENV)
    assert rendered.text == "a: 1\nb: 3\nc: /home/me\nd: 4\n"
    assert rendered.line_map[:4] == [1, 5, 7, 8]


@pytest.mark.parametrize(
    "tag",
    [
        "<%= Time.now %>",
        "<%= `date`.match(/x/) %>",
        '<% require "json" %>',
        "<%= @value %>",
        "<%= x %>",
        "<% def f; end %>",
        "<%= <<~EOS %>",
        '<%= ENV["A"].upcase # shout %>',
        "<%= Rails.env %>",
        "<% while true do %>",
        '<%= "x".gsub("a") { |m| m } %>',
        '<%= "%05d" % 42 %>',
    ],
)
def test_anything_else_is_unsupported(tag: str) -> None:
    with pytest.raises(ConfigError) as error:
        out(f"a: 1\nb: {tag}\n")
    message = str(error.value)
    assert message.startswith("config/deploy.yml:2: unsupported ERB: <%")
    assert "\n" not in message


def test_unbalanced_blocks_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:1: unsupported ERB: missing <% end %>"):
        out('<% if ENV["HOME"] %>\na: 1\n')
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:2: unsupported ERB: <% end %>"):
        out("a: 1\n<% end %>\n")
    with pytest.raises(ConfigError, match=r"unsupported ERB: <% else %>"):
        out("<% else %>")


def test_unterminated_tag() -> None:
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:3: unsupported ERB: unterminated tag"):
        out('a: 1\nb: 2\nc: <%= ENV["HOME"]\n')


def test_dotenv_loaded_by_the_base_file_is_seen_by_the_destination_file(write_config: Any) -> None:
    from pykamal.config.loader import load_raw

    path = write_config('service: app\n<% require "dotenv"; Dotenv.load(".env") %>\n')
    Path(".env").write_text("ERB_DOTENV_X=from-dotenv\nHOME=not-overridden\n")
    Path("config/deploy.beta.yml").write_text(
        'x-v: <%= ENV["ERB_DOTENV_X"] %> <%= ENV["HOME"] == "not-overridden" %>\n'
    )
    assert load_raw(path, "beta")["x-v"] == "from-dotenv false"
    assert "ERB_DOTENV_X" not in os.environ


def test_comment_running_to_the_end_of_a_tag() -> None:
    # Ruby's generated code would swallow the rest of the line after such a comment
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:1: unsupported ERB: <% x = 1 # one %>"):
        out("<% x = 1 # one %>\na")
    assert out("<%- x = 1 # one -%>\n<%= x %>") == "1"
    assert out("<% x = 2 # two\n%><%= x %>") == "2"


def test_crlf_line_endings() -> None:
    assert out("a\r\n<% if true -%>\r\nb\r\n<% end -%>\r\nc\r\n") == "a\r\nb\r\nc\r\n"


def test_errors_name_the_line_of_the_failing_expression() -> None:
    template = 'a: 1\n<%\n  x = ENV["HOME"]\n  y = x.fetch("k")\n%>\n'
    with pytest.raises(
        ConfigError, match=r"^config/deploy.yml:4: undefined method `fetch' for an instance of String"
    ):
        out(template)
