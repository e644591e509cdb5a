"""The "bad input" table of docs/reliability.md: the payload test's inputs through pykamal and Kamal 2.11.

For every (field, payload) of test_bad_input_payloads.py: pykamal's outcome (refused at load, or the
plan's commands run under bash and dash with stubs: canary created, arguments intact) and Kamal's
(``Kamal::Configuration`` refuses it, or the app / accessory ``run`` and the proxy ``deploy`` command
it builds, run the same way). A development tool, not a test:

    python tests/unit/fuzz/bad_input_report.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "commands")]

import test_bad_input_payloads as t  # noqa: E402
from kamal_oracle import run_kamal  # noqa: E402

APP = (
    "r = config.roles.first; a = Kamal::Commands::App.new(config, role: r, host: r.hosts.first); "
    'commands(a.run, (a.deploy(target: "abc") if r.running_proxy?))'
)
ACCESSORY = "commands(Kamal::Commands::Accessory.new(config, name: config.accessories.first.name).run)"


def pykamal_outcome(field: str, payload: str, stubs: t.StubBin) -> str:
    value = t.PAYLOADS[payload]
    with pytest.MonkeyPatch.context() as mp:
        code, _, lines = t.recorded_lines(field, value, mp)
        if code != 0:
            return "refused"
        if any("\0" in line for line in lines):
            return "NUL sent"
        _, _, baseline = t.recorded_lines(field, t.BENIGN, mp)
    return run_outcome(stubs, lines, value, baseline)


def run_outcome(stubs: t.StubBin, lines: list[str], value: str, baseline: list[str] | None) -> str:
    ran = intact = False
    for shell in t.SHELLS_HERE:
        t.CANARY.unlink(missing_ok=True)
        received = t.run_each(stubs, shell, lines, value)
        ran = ran or t.CANARY.exists()
        if baseline is not None:
            expected = t.run_each(stubs, shell, baseline, t.BENIGN)
            intact = len(expected) == len(received) and all(
                _same_line(want, got, value) for want, got in zip(expected, received, strict=True)
            )
        else:  # Kamal: the value must arrive whole in some argument
            intact = any(value in arg for line in received for _, args in line for arg in args)
    if ran:
        return "canary ran"
    return "intact" if intact else "altered"


def _same_line(want: list, got: list, value: str) -> bool:  # type: ignore[type-arg]
    return len(want) == len(got) and all(
        t._same_args(g, w, value) for (_, g), (_, w) in zip(got, want, strict=True)
    )


def kamal_outcomes(stubs: t.StubBin) -> dict[str, str]:
    cases = []
    for field, payload in t.CASES:
        template, command = t.FIELDS[field]
        config = t._merge(t.BASE, t._fill(template, t.PAYLOADS[payload]))
        expression = APP if command is t.DEPLOY else ACCESSORY
        case = {"id": f"{field}|{payload}", "config": config, "version": "v1", "destination": None}
        cases.append({**case, "secrets": {"S": "x"}, "setup": None, "kamal": expression})
    results = run_kamal(cases)
    out = {}
    for case in cases:
        result = results[case["id"]]
        if "error" in result:
            out[case["id"]] = "refused"
            continue
        lines = [line for line in result["value"] if line]
        if any("[REDACTED]" in line for line in lines):
            out[case["id"]] = "n/a (redacted)"
            continue
        field, payload = case["id"].split("|")
        if any("\0" in line for line in lines):
            out[case["id"]] = "NUL sent"
            continue
        out[case["id"]] = run_outcome(stubs, lines, t.PAYLOADS[payload], None)
    return out


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pykamal-report-") as folder:
        root = Path(folder) / "a" / "b" / "c" / "d" / "e" / "f"
        stubs = t.StubBin(root, t.STUBBED)
        (stubs.bin / "docker").write_text(t.DOCKER_STUB)
        (stubs.bin / "mkdir").write_text(t.MKDIR_STUB)
        (stubs.bin / "mkdir").chmod(0o755)
        kamal = kamal_outcomes(stubs)
        ours: dict[str, str] = {}
        for field, payload in t.CASES:
            ours[f"{field}|{payload}"] = pykamal_outcome(field, payload, stubs)
    print("| payload | inputs | pykamal | Kamal 2.11 |")
    print("|---|---|---|---|")
    for payload in t.PAYLOADS:
        keys = [f"{f}|{payload}" for f in t.FIELDS]
        mine = Counter(ours[k] for k in keys)
        theirs = Counter(kamal[k] for k in keys)
        print(f"| {payload} | {len(keys)} | {_counts(mine)} | {_counts(theirs)} |")
    total_ours, total_kamal = Counter(ours.values()), Counter(kamal.values())
    print(f"| all | {len(ours)} | {_counts(total_ours)} | {_counts(total_kamal)} |")
    for key in sorted(ours):
        if ours[key] not in ("refused", "intact"):
            print(f"pykamal {ours[key]}: {key}")
    return 0


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counter.most_common())


if __name__ == "__main__":
    sys.exit(main())
