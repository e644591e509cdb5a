# ruff: noqa: E501  (the cases are Ruby one-liners; keeping each on one line keeps it readable)
"""ERB cases with the output Ruby's ERB gives them, as rendered by the reference ``kamal config``.

Each case is a snippet placed, indented, in a block scalar under ``builder.args.<name>`` of one
deploy.yml (``kamal config`` prints ``builder`` as written, so the rendered text comes back intact).
``expected`` is the value ``kamal config`` 2.11 printed for it; test_erb_corpus re-derives it.
"""

from __future__ import annotations

CASES: list[tuple[str, str, str]] = [
    (
        "string_escapes",
        '<%= "tab\\tquote\\" back\\\\ \\u00e9 \\x41 \\101 \\s." %>',
        'tab\tquote" back\\ é A A  .\n',
    ),
    (
        "single_quoted",
        "<%= 'no #{interp} \\n but \\' and \\\\' %>",
        "no #{interp} \\n but ' and \\\n",
    ),
    (
        "interpolation",
        '<%= "host-#{ENV["ERB_HOST"]}:#{1 + 2}" %>',
        "host-web.example.com:3\n",
    ),
    (
        "nested_interpolation",
        '<%= "a#{"b#{ENV.fetch("ERB_PORT")}c"}d" %>',
        "ab3000cd\n",
    ),
    (
        "percent_w",
        '<%= %w[web job  worker].join(",") %>',
        "web,job,worker\n",
    ),
    (
        "percent_i_inspect",
        "<%= %i[a b].inspect %>",
        "[:a, :b]\n",
    ),
    (
        "percent_q",
        '<%= %q(it\'s (nested) "quoted") %> <%= %Q[#{ENV["ERB_HOST"]}] %> <%= %(plain #{2 * 3}) %>',
        'it\'s (nested) "quoted" web.example.com plain 6\n',
    ),
    (
        "symbols",
        '<%= :web %> <%= :web.inspect %> <%= :"a b".inspect %>',
        'web :web :"a b"\n',
    ),
    (
        "integers",
        "<%= 365 * 24 * 60 * 60 %> <%= 7 / 2 %> <%= -7 / 2 %> <%= 7 % 3 %> <%= -7 % 3 %> <%= 2 ** 10 %> <%= 1_000 + 0x10 %>",
        "31536000 3 -4 1 2 1024 1016\n",
    ),
    (
        "precedence",
        "<%= 2 + 3 * 4 - (1 + 1) %> <%= -2 ** 2 %> <%= 10 - 2 - 3 %>",
        "12 -4 5\n",
    ),
    (
        "floats",
        "<%= 1.5 * 2 %> <%= 1e20 %> <%= 0.1 + 0.2 %> <%= 10 / 4.0 %> <%= 1e-5 %>",
        "3.0 1.0e+20 0.30000000000000004 2.5 1.0e-05\n",
    ),
    (
        "arrays",
        '<%= [1, "two", :three, nil, true].inspect %> <%= [1, [2, [3]]].flatten.inspect %> <%= [3, 1, 2].sort.reverse.first(2).inspect %>',
        '[1, "two", :three, nil, true] [1, 2, 3] [3, 2]\n',
    ),
    (
        "array_to_s",
        '<%= [1, "a", nil] %> <%= ["x", "y"].to_s %>',
        '[1, "a", nil] ["x", "y"]\n',
    ),
    (
        "hashes",
        '<%= {"a" => 1, b: "two"}.inspect %> <%= {"a" => 1}["a"] %> <%= {b: 2}[:b] %> <%= {"k" => "v"}.fetch("missing", "dflt") %>',
        '{"a"=>1, :b=>"two"} 1 2 dflt\n',
    ),
    (
        "nil_true_false",
        "[<%= nil %>] <%= true %> <%= false %> <%= nil.inspect %> <%= nil.to_a.inspect %> <%= nil.to_i %>",
        "[] true false nil [] 0\n",
    ),
    (
        "env_index",
        '<%= ENV["ERB_HOST"] %>|<%= ENV[\'ERB_EMPTY\'] %>|<%= ENV["ERB_UNSET"] %>|<%= ENV["ERB_UNSET"].inspect %>',
        "web.example.com|||nil\n",
    ),
    (
        "env_fetch_default",
        '<%= ENV.fetch("ERB_UNSET", "dflt") %> <%= ENV.fetch("ERB_EMPTY", "dflt").inspect %> <%= ENV.fetch("ERB_UNSET", nil).inspect %> <%= ENV.fetch("ERB_UNSET", 365 * 2) %>',
        'dflt "" nil 730\n',
    ),
    (
        "env_fetch_block",
        '<%= ENV.fetch("ERB_UNSET") { |key| "no #{key}" } %> <%= ENV.fetch("ERB_HOST") { "unused" } %> <%= ENV.fetch("ERB_UNSET") { `echo from-shell`.strip } %>',
        "no ERB_UNSET web.example.com from-shell\n",
    ),
    (
        "env_key",
        '<%= ENV.key?("ERB_EMPTY") %> <%= ENV.key?("ERB_UNSET") %> <%= ENV.include?("ERB_HOST") %>',
        "true false true\n",
    ),
    (
        "or_and",
        '<%= ENV["ERB_UNSET"] || "fallback" %> <%= ENV["ERB_EMPTY"] || "x" %>|<%= ENV["ERB_HOST"] && "both" %> <%= (nil && 1).inspect %> <%= false || nil || "last" %>',
        "fallback |both nil last\n",
    ),
    (
        "not_and_compare",
        '<%= !ENV["ERB_UNSET"] %> <%= !!ENV["ERB_HOST"] %> <%= ENV["ERB_PORT"] == "3000" %> <%= ENV["ERB_PORT"] != "3000" %> <%= 1 == 1.0 %> <%= :a == "a" %> <%= nil == false %>',
        "true true true false true false false\n",
    ),
    (
        "comparisons",
        '<%= 3 > 2 %> <%= 2 >= 3 %> <%= "abc" < "abd" %> <%= ENV["ERB_PORT"].to_i <= 3000 %> <%= [1, 2] == [1, 2] %>',
        "true false true true true\n",
    ),
    (
        "ternary",
        '<%= ENV["ERB_FLAG"] == "true" ? "on" : "off" %> <%= ENV["ERB_UNSET"] ? "set" : "unset" %> <%= ENV.fetch("ERB_FLAG", "true") == "true" %>',
        "on unset true\n",
    ),
    (
        "if_block",
        '<%- if ENV["ERB_FLAG"] == "true" -%>\nflag on\n<%- elsif ENV["ERB_HOST"] -%>\nhost\n<%- else -%>\nnothing\n<%- end -%>\nafter',
        "flag on\nafter\n",
    ),
    (
        "unless_block",
        '<%- unless ENV["ERB_UNSET"] -%>\nunset indeed\n<%- else -%>\nset\n<%- end -%>\ndone',
        "unset indeed\ndone\n",
    ),
    (
        "elsif_chain",
        '<% port = ENV["ERB_PORT"].to_i %><% if port < 1000 %>low<% elsif port < 5000 %>mid<% else %>high<% end %>',
        "mid\n",
    ),
    (
        "modifiers",
        '<%= "shown" if ENV["ERB_HOST"] %>|<%= "hidden" if ENV["ERB_UNSET"] %>|<%= "unless" unless ENV["ERB_UNSET"] %>',
        "shown||unless\n",
    ),
    (
        "case_when",
        '<%- case ENV["ERB_STAGE"] -%>\n<%- when "production", "prod" -%>\nprod\n<%- when "staging" -%>\nstaging\n<%- else -%>\nother\n<%- end -%>\nend',
        "staging\nend\n",
    ),
    (
        "case_value",
        '<%= case ENV["ERB_PORT"].to_i when 1..1023 then "system" when 1024..49151 then "registered" else "dynamic" end %>',
        "registered\n",
    ),
    (
        "locals",
        '<% host = ENV.fetch("ERB_HOST"); port = ENV["ERB_PORT"] %><%= host %>:<%= port %> <% port ||= "80" %><%= port %> <% n = 2; n += 3 %><%= n %>',
        "web.example.com:3000 3000 5\n",
    ),
    (
        "local_multiline",
        '<%\n  domain = "example.com"\n  name = ENV.fetch("ERB_HOST").split(".").first\n%>\n<%= name %>.<%= domain %>',
        "\nweb.example.com\n",
    ),
    (
        "each_block",
        "<%- %w[a b c].each do |h| -%>\n  - <%= h %>.example.com\n<%- end -%>\nend",
        "  - a.example.com\n  - b.example.com\n  - c.example.com\nend\n",
    ),
    (
        "each_with_index",
        '<% ["x", "y"].each_with_index do |item, i| %><%= i %>=<%= item %>;<% end %>',
        "0=x;1=y;\n",
    ),
    (
        "times_block",
        "<%- 3.times do |i| -%>\nrow <%= i + 1 %>\n<%- end -%>\n",
        "row 1\nrow 2\nrow 3\n",
    ),
    (
        "map_blocks",
        '<%= %w[a b].map { |s| s.upcase }.join("+") %> <%= [1, 2, 3].map(&:to_s).inspect %> <%= (1..3).map { |i| i * i }.inspect %>',
        'A+B ["1", "2", "3"] [1, 4, 9]\n',
    ),
    (
        "hash_each",
        '<% {"web" => 1, "job" => 2}.each do |name, count| %><%= name %>:<%= count %> <% end %>',
        "web:1 job:2 \n",
    ),
    (
        "strip_chomp",
        '<%= "  padded \\n".strip.inspect %> <%= "line\\n".chomp.inspect %> <%= "line\\r\\n\\n".chomp.inspect %> <%= "file.yml".chomp(".yml") %> <%= " \\t".strip.empty? %>',
        '"padded" "line" "line\\r\\n" file true\n',
    ),
    (
        "to_s_to_i",
        '<%= 42.to_s.inspect %> <%= "42abc".to_i %> <%= "  -7".to_i %> <%= "abc".to_i %> <%= nil.to_s.inspect %> <%= :s.to_s %>',
        '"42" 42 -7 0 "" s\n',
    ),
    (
        "case_methods",
        '<%= "MiXed".downcase %> <%= "MiXed".upcase %> <%= "hello world".capitalize %>',
        "mixed MIXED Hello world\n",
    ),
    (
        "split_join",
        '<%= "a, b,,c,,".split(",").inspect %> <%= "  one  two ".split.inspect %> <%= "a-b-c".split("-", 2).inspect %> <%= ENV["ERB_LIST"].split(",").map(&:strip).join("|") %>',
        '["a", " b", "", "c"] ["one", "two"] ["a", "b-c"] a|b|a||c\n',
    ),
    (
        "first_last",
        "<%= %w[a b c].first %> <%= %w[a b c].last %> <%= [].first.inspect %> <%= %w[a b c].last(2).inspect %>",
        'a c nil ["b", "c"]\n',
    ),
    (
        "predicates",
        '<%= "abc".include?("b") %> <%= "abc".start_with?("x", "a") %> <%= "abc".end_with?("bc") %> <%= [1, 2].include?(2) %> <%= "".empty? %> <%= [].empty? %> <%= nil.nil? %> <%= "x".nil? %>',
        "true true true true true true true false\n",
    ),
    (
        "present_blank",
        '<%= ENV["ERB_EMPTY"].present? %> <%= ENV["ERB_SPACES"].blank? %> <%= ENV["ERB_UNSET"].blank? %> <%= ENV["ERB_HOST"].present? %> <%= [].blank? %> <%= {}.present? %> <%= 0.blank? %> <%= false.blank? %>',
        "false true true true true false false true\n",
    ),
    (
        "presence",
        '<%= ENV["ERB_EMPTY"].presence || "was blank" %> <%= ENV["ERB_HOST"].presence || "x" %> <%= ENV["ERB_SPACES"].to_s.strip.presence.inspect %>',
        "was blank web.example.com nil\n",
    ),
    (
        "gsub_sub",
        '<%= "a.b.c".gsub(".", "-") %> <%= "a.b.c".sub(".", "-") %> <%= "path/to".gsub("/", "\\\\\\\\") %> <%= "x+y".gsub("+", "[\\\\0]") %>',
        "a-b-c a-b.c path\\to x[+]y\n",
    ),
    (
        "inspect",
        '<%= "quote\\" tab\\t nl\\n #{1} \\#{x} é \\e".inspect %> <%= ENV["ERB_HOST"].to_s.inspect %> <%= "\\u0001\\u007f".inspect %>',
        '"quote\\" tab\\t nl\\n 1 \\#{x} é \\e" "web.example.com" "\\u0001\\u007F"\n',
    ),
    (
        "file_read",
        '<%= File.read("erb-version.txt").strip %> <%= File.exist?("erb-version.txt") %> <%= File.exist?("nope.txt") %>',
        "3.3.7 true false\n",
    ),
    (
        "file_join_expand",
        '<%= File.join("a", "b/", "/c") %> <%= File.expand_path("~/x/../y") %> <%= File.expand_path("/srv/app/../data") %> <%= File.basename("/a/b.yml", ".yml") %> <%= File.dirname("/a/b.yml") %> <%= File.extname("x.tar.gz") %>',
        "a/b/c /home/erb/y /srv/data b /a .gz\n",
    ),
    (
        "dir_pwd",
        '<%= Dir.pwd == File.expand_path(".") %>',
        "true\n",
    ),
    (
        "backticks",
        "<%= `echo hello`.strip %> <%= %x(printf 'a b').split.inspect %> <%= `printf '%s' \"$ERB_HOST\"` %> <%= %x(pwd).chomp == Dir.pwd %>",
        'hello ["a", "b"] web.example.com true\n',
    ),
    (
        "ruby_constants",
        '<%= RUBY_ENGINE %> <%= ENV["ERB_UNSET"] || ENV["ERB_UNSET2"] || "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>',
        "ruby ruby-3.3.7\n",
    ),
    (
        "dotenv",
        '<% require "dotenv"; Dotenv.load("erb.env", "missing.env") %><%= ENV["ERB_FROM_DOTENV"] %> <%= ENV["ERB_HOST"] %> <%= ENV["ERB_QUOTED"] %>',
        "loaded web.example.com two words\n",
    ),
    (
        "begin_rescue",
        '<% begin; require "dotenv"; Dotenv.load(".env.none"); rescue LoadError; end %><%= begin; ENV.fetch("ERB_UNSET"); rescue KeyError => e; "rescued: #{e.message}"; end %>',
        'rescued: key not found: "ERB_UNSET"\n',
    ),
    (
        "trim_modes",
        "a\n  <%- if true -%>\n  kept\n  <%- end -%>\nb <% if true %>\nc\n<% end %>\nd <%# comment -%>\ne",
        "a\n  kept\nb \nc\n\nd       e\n",
    ),
    (
        "literal_tags",
        '<%% not a tag %> <%= "%%>" %> 100%',
        "<% not a tag %> %> 100%\n",
    ),
    (
        "multiline_output",
        '<%=\n  [\n    ENV["ERB_HOST"],\n    ENV["ERB_PORT"],\n  ].compact.join(":")\n%>',
        "web.example.com:3000\n",
    ),
    (
        "safe_navigation",
        '<%= ENV["ERB_UNSET"]&.strip.inspect %> <%= ENV["ERB_SPACES"]&.strip.inspect %>',
        'nil ""\n',
    ),
    (
        "method_chain",
        '<%= ENV.fetch("ERB_LIST", "").split(",").map(&:strip).reject(&:empty?).uniq.size %> <%= %w[b a b].uniq.sort.join %> <%= [nil, 1, nil].compact.inspect %> <%= [1, 2, 3].select(&:odd?).inspect %> <%= [1, 2, 3].sum %> <%= [4, 9].max %>',
        "3 ab [1] [1, 3] 6 9\n",
    ),
    (
        "required_module",
        '<% require File.expand_path("erb_settings.rb", Dir.pwd) %><%= ErbSettings.host %> <%= ErbSettings.port(2) %> <%= ErbSettings.port(3).inspect %>',
        "app.example.com 3002 3003\n",
    ),
    (
        "index_assignment",
        '<% h = {"a" => 1}; h["b"] = 2; ENV["ERB_ASSIGNED"] = "set in ERB" %><%= h.inspect %> <%= ENV["ERB_ASSIGNED"] %>',
        '{"a"=>1, "b"=>2} set in ERB\n',
    ),
]

ENV = {
    "ERB_HOST": "web.example.com",
    "ERB_EMPTY": "",
    "ERB_SPACES": "  \t ",
    "ERB_PORT": "3000",
    "ERB_FLAG": "true",
    "ERB_STAGE": "staging",
    "ERB_LIST": " a, b ,a,, c",
}
FILES = {
    "erb_settings.rb": 'module ErbSettings\n  def self.host = "app.example.com"\n\n  def self.port(offset)\n    base = ENV.fetch("ERB_PORT").to_i\n    base + offset\n  end\nend\n',
    "erb-version.txt": "3.3.7\n",
    "erb.env": 'ERB_FROM_DOTENV=loaded\nERB_HOST=not-overridden\nERB_QUOTED="two words" # comment\n',
}
HOME = "/home/erb"

HEADER = """\
service: erbcorpus
image: erbcorpus/app
servers:
  - 192.0.2.1
registry:
  server: localhost:5555
builder:
  arch: amd64
  args:
"""


def deploy_yml() -> str:
    """Every case under builder.args; ``|2`` fixes the indentation, so leading spaces survive."""
    lines = [HEADER]
    for name, snippet, _expected in CASES:
        lines.append(f"    {name}: |2\n")
        lines.extend(f"      {line}\n" for line in snippet.split("\n"))
    return "".join(lines)
