"""Every error path of the case compiler, one broken suite per path.

Each tests/cases-broken/compiler/*.toml says what it expects in comments:
  # expect: error|warning [OTHER.toml] LINE MESSAGE-START
  # expect-cc: LINE TEXT        (the C compiler's error, at that .toml line)
  # with: OTHER.toml            (compile it together with another suite)
The test runs scripts/case_compiler.py on the file and checks that exactly
those diagnostics come out, as `file.toml:LINE: kind: message`, and that any
error means exit status 1 and nothing written.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "cases-broken" / "compiler"
COMPILER = REPO / "scripts" / "case_compiler.py"
CC_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-DLFS_MULTIVERSION",
            f"-I{REPO / 'harness'}", f"-I{REPO / 'lfs'}", f"-I{REPO / 'bd_emu'}"]

EXPECT = re.compile(r"^# expect: (error|warning) (?:(\S+\.toml) )?(\d+) (.*)$")
EXPECT_CC = re.compile(r"^# expect-cc: (\d+) (.*)$")
WITH = re.compile(r"^# with: (\S+)$")


def expectations(path):
    diags, cc, others = [], [], []
    for line in path.read_text().splitlines():
        if m := EXPECT.match(line):
            diags.append((m[1], m[2] or path.name, int(m[3]), m[4]))
        elif m := EXPECT_CC.match(line):
            cc.append((int(m[1]), m[2]))
        elif m := WITH.match(line):
            others.append(m[1])
    return diags, cc, others


def compile_suites(files, outdir):
    return subprocess.run([sys.executable, str(COMPILER), "-o", str(outdir), *files],
                          cwd=BROKEN, capture_output=True, text=True)


CASES = sorted(p for p in BROKEN.glob("*.toml") if expectations(p) != ([], [], []))


def test_every_broken_suite_states_an_expectation():
    # the second file of a pair is covered by its partner's `with:`
    partners = {o for p in BROKEN.glob("*.toml") for o in expectations(p)[2]}
    for p in BROKEN.glob("*.toml"):
        assert p in CASES or p.name in partners, f"{p.name} expects nothing"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_compiler_reports(path, tmp_path):
    diags, cc, others = expectations(path)
    out = tmp_path / "gen"
    proc = compile_suites([path.name, *others], out)
    lines = [l for l in proc.stderr.splitlines() if not l.startswith("case_compiler:")]
    got = []
    for l in lines:
        m = re.match(r"^(\S+\.toml):(\d+): (error|warning): (.*)$", l)
        assert m, f"diagnostic not in file:line: kind: form: {l!r}"
        got.append((m[3], m[1], int(m[2]), m[4]))
    for kind, file, line, start in diags:
        assert any(g[:3] == (kind, file, line) and g[3].startswith(start) for g in got), \
            f"missing {kind} at {file}:{line}: {start!r}\ngot:\n" + "\n".join(lines)
    assert len(got) == len(diags), "unexpected diagnostics:\n" + "\n".join(lines)
    errors = [d for d in diags if d[0] == "error"]
    if errors:
        assert proc.returncode == 1
        assert not out.exists(), "an erroneous suite must produce no output"
        assert proc.stderr.strip().endswith("nothing written")
    else:
        assert proc.returncode == 0, proc.stderr
        for suite in [path, *(BROKEN / o for o in others)]:
            assert (out / "suites" / f"{suite.stem}.c").exists()
    for line, text in cc:
        gen = out / "suites" / f"{path.stem}.c"
        r = subprocess.run(["cc", *CC_FLAGS, "-fsyntax-only", str(gen)],
                           cwd=BROKEN, capture_output=True, text=True)
        assert r.returncode != 0
        assert re.search(rf"^{re.escape(path.name)}:{line}:\d+: error: .*{re.escape(text)}",
                         r.stderr, re.M), r.stderr
