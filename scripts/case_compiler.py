#!/usr/bin/env python3
"""Compiles TOML test suites (littlefs's case format) into C for build/torture.

usage: case_compiler.py [-o DIR] [--check] [--list] SUITE.toml...

Writes DIR/suites/<suite>.c per suite, DIR/in_cases.c and DIR/registry.c
(see case_codegen.py). Errors and warnings are printed as
`file.toml:line: error|warning: message`; any error means exit status 1 and
no output written. The format and our additions are described in the README
(section "TOML cases") and in ../shared/reference/case-format.md.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import case_codegen  # noqa: E402
import case_suites   # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="case_compiler.py",
        description="Compile TOML test suites into C for build/torture.")
    ap.add_argument("suites", nargs="*", metavar="SUITE.toml")
    ap.add_argument("-o", "--output", default="build/gen/cases",
                    help="output directory (default: build/gen/cases)")
    ap.add_argument("--check", action="store_true",
                    help="only check the suites, write nothing")
    ap.add_argument("--list", action="store_true",
                    help="print 'suite case permutations' for every case")
    args = ap.parse_args(argv)

    diag = case_suites.Diagnostics()
    suites = case_suites.load(args.suites, diag)
    for line in diag.format():
        print(line, file=sys.stderr)
    if diag.errors:
        n = len(diag.errors)
        print(f"case_compiler: {n} error{'s' if n != 1 else ''}, nothing written",
              file=sys.stderr)
        return 1
    if args.list:
        for s in suites:
            for c in s.cases:
                print(f"{s.name} {c.name} {c.permutations}")
    if not args.check:
        case_codegen.emit_all(suites, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
