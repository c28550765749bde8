"""Loads and checks TOML suites in the case format (see
docs of the case format: ../shared/reference/case-format.md and the README).

Every problem becomes a diagnostic with the .toml file and line: malformed
TOML, unknown keys (warnings), wrong types, duplicate case or suite names,
bad define values, defines used but not defined, malformed assertions.
Nothing is skipped silently.
"""
import os
import re

import toml

import case_asserts
import case_defines
from c_tokens import identifiers, TokenizeError
from toml_locations import locate

IMPLICIT_DEFINES = [
    "READ_SIZE", "PROG_SIZE", "ERASE_SIZE", "ERASE_COUNT", "BLOCK_SIZE",
    "BLOCK_COUNT", "CACHE_SIZE", "LOOKAHEAD_SIZE", "COMPACT_THRESH",
    "METADATA_MAX", "INLINE_MAX", "BLOCK_CYCLES", "ERASE_VALUE", "ERASE_CYCLES",
    "BADBLOCK_BEHAVIOR", "POWERLOSS_BEHAVIOR", "DISK_VERSION",
]

SUITE_KEYS = ("cases", "code", "defines", "if", "in", "reentrant", "judge")
CASE_KEYS = ("code", "defines", "if", "in", "reentrant", "judge")
# our extension: the judge of the case's crash points, unless --judge
# overrides it (harness/judge.c has the same names)
JUDGES = ("oracle", "restart")

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_C_KEYWORDS = set("""auto break case char const continue default do double else enum
    extern float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while _Bool
    _Complex _Imaginary""".split())


class Diagnostics:
    """Collects errors and warnings, each printed as `file:line: kind: msg`."""

    def __init__(self):
        self.items = []

    def _add(self, item):
        if item not in self.items:
            self.items.append(item)

    def error(self, file, line, msg):
        self._add((file, line, "error", msg))

    def warning(self, file, line, msg):
        self._add((file, line, "warning", msg))

    @property
    def errors(self):
        return [i for i in self.items if i[2] == "error"]

    def format(self):
        return [f"{f}:{ln}: {kind}: {msg}" for f, ln, kind, msg in self.items]


class Code:
    """A piece of C from the TOML: the text and the .toml line of its first line."""

    def __init__(self, text, line):
        self.text, self.line = text, line


class Define:
    def __init__(self, name, values, line):
        self.name, self.values, self.line = name, values, line


class Case:
    def __init__(self, suite, name, line):
        self.suite, self.name, self.line = suite, name, line
        self.code = None
        self.groups = [{}]        # list of {name: Define}, suite's merged in
        self.filters = []         # Code pieces ANDed together
        self.in_file = None
        self.reentrant = False
        self.judge = None         # None: the runner's (--judge, else oracle)

    @property
    def permutations(self):
        total = 0
        for g in self.groups:
            n = 1
            for d in g.values():
                n *= len(d.values)
            total += n
        return total


class Suite:
    def __init__(self, path, name):
        self.path, self.name = path, name
        self.code = None
        self.cases = []


def _line(locs, path, default=1):
    loc = locs.get(tuple(path))
    return loc.line if loc else default


def _content_line(locs, path, default=1):
    loc = locs.get(tuple(path))
    return loc.content_line if loc else default


class _Loader:
    def __init__(self, diag):
        self.diag = diag

    def code(self, file, locs, path, value, what):
        if not isinstance(value, str):
            self.diag.error(file, _line(locs, path), f"{what} must be a string of C code")
            return None
        loc = locs.get(tuple(path))
        if loc is not None and loc.continued:
            self.diag.warning(file, loc.line, f"{what} uses line-ending backslashes; "
                              "line numbers inside it may be off")
        return Code(value, _content_line(locs, path))

    def defines(self, file, locs, path, value):
        """A list of groups, each {name: Define}."""
        if isinstance(value, dict):
            tables = [(path, value)]
        elif isinstance(value, list) and value and all(isinstance(t, dict) for t in value):
            tables = [(tuple(path) + (i,), t) for i, t in enumerate(value)]
        else:
            self.diag.error(file, _line(locs, path),
                            "'defines' must be a table or a list of tables")
            return [{}]
        groups = []
        for tpath, table in tables:
            group = {}
            for name, v in table.items():
                dpath = tuple(tpath) + (name,)
                line = _line(locs, dpath, _line(locs, tpath))
                if not _IDENT.match(name) or name in _C_KEYWORDS:
                    self.diag.error(file, line, f"define name '{name}' is not a C identifier")
                    continue
                try:
                    values = case_defines.parse_value(v)
                except case_defines.DefineError as e:
                    self.diag.error(file, line, f"define {name}: {e}")
                    continue
                if not values:
                    self.diag.error(file, line, f"define {name} has no values")
                    continue
                group[name] = Define(name, values, line)
            groups.append(group)
        return groups

    def common(self, file, locs, path, table, target, what):
        """The keys a suite and a case share; fills `target` (a dict)."""
        if "if" in table:
            v = table["if"]
            if isinstance(v, bool):
                v = "1" if v else "0"
            c = self.code(file, locs, tuple(path) + ("if",), v, f"{what} 'if'")
            if c:
                target["if"] = c
        if "in" in table:
            v = table["in"]
            if not isinstance(v, str) or not re.match(r"^[A-Za-z0-9_./-]+\.c$", v):
                self.diag.error(file, _line(locs, tuple(path) + ("in",)),
                                f"{what} 'in' must name a C source file of the core, like 'lfs.c'")
            else:
                target["in"] = v
        if "reentrant" in table:
            v = table["reentrant"]
            if not isinstance(v, bool):
                self.diag.error(file, _line(locs, tuple(path) + ("reentrant",)),
                                f"{what} 'reentrant' must be true or false")
            else:
                target["reentrant"] = v
        if "judge" in table:
            v = table["judge"]
            if v not in JUDGES:
                self.diag.error(file, _line(locs, tuple(path) + ("judge",)),
                                f"{what} 'judge' must be one of "
                                f"{', '.join(repr(j) for j in JUDGES)}, not {v!r}")
            else:
                target["judge"] = v
        if "defines" in table:
            target["defines"] = self.defines(file, locs, tuple(path) + ("defines",),
                                             table["defines"])

    def suite(self, path, display):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            self.diag.error(display, 1, f"cannot read suite: {e}")
            return None
        try:
            data = toml.loads(text)
        except toml.TomlDecodeError as e:
            self.diag.error(display, e.lineno, f"malformed TOML: {e.msg} (column {e.colno})")
            return None
        except (IndexError, ValueError, TypeError) as e:
            self.diag.error(display, 1, f"malformed TOML: {e}")
            return None
        locs = locate(text)
        name = os.path.splitext(os.path.basename(path))[0]
        suite = Suite(display, name)
        if not _NAME.match(name):
            self.diag.error(display, 1, f"suite name '{name}' (the file name) may only use "
                            "letters, digits, '_', '.' and '-'")
        for key in data:
            if key not in SUITE_KEYS:
                self.diag.warning(display, _line(locs, (key,)),
                                  f"unknown suite key '{key}' (known: {', '.join(SUITE_KEYS)})")
        common = {}
        self.common(display, locs, (), data, common, "suite")
        if "code" in data:
            suite.code = self.code(display, locs, ("code",), data["code"], "suite 'code'")
        cases = data.get("cases")
        if not isinstance(cases, dict) or not cases:
            self.diag.error(display, _line(locs, ("cases",)),
                            "a suite needs a table of cases ([cases.NAME])")
            return suite
        for cname, ctable in cases.items():
            cpath = ("cases", cname)
            cline = _line(locs, cpath)
            if not isinstance(ctable, dict):
                self.diag.error(display, cline, f"case '{cname}' must be a table")
                continue
            if not _NAME.match(cname):
                self.diag.error(display, cline, f"case name '{cname}' may only use letters, "
                                "digits, '_', '.' and '-'")
                continue
            case = Case(suite, cname, cline)
            for key in ctable:
                if key not in CASE_KEYS:
                    self.diag.warning(display, _line(locs, cpath + (key,), cline),
                                      f"unknown key '{key}' in case '{cname}' "
                                      f"(known: {', '.join(CASE_KEYS)})")
            own = {}
            self.common(display, locs, cpath, ctable, own, f"case '{cname}'")
            if "code" not in ctable:
                self.diag.error(display, cline, f"case '{cname}' has no 'code'")
            else:
                case.code = self.code(display, locs, cpath + ("code",), ctable["code"],
                                      f"case '{cname}' 'code'")
            case.filters = [c for c in (common.get("if"), own.get("if")) if c]
            case.in_file = own.get("in", common.get("in"))
            case.reentrant = own.get("reentrant", common.get("reentrant", False))
            case.judge = own.get("judge", common.get("judge"))
            case.groups = [dict(s, **c) for s in common.get("defines", [{}])
                           for c in own.get("defines", [{}])]
            suite.cases.append(case)
        return suite


def _uses(diag, file, code, names):
    """(name, line) of identifiers in `code` that are in `names`."""
    try:
        ids = list(identifiers(code.text))
    except TokenizeError as e:
        diag.error(file, code.line + code.text[:e.offset].count("\n"),
                   f"cannot read C code: {e}")
        return []
    return [(n, code.line + code.text[:off].count("\n")) for n, off in ids if n in names]


def check_defines_used(diag, suite):
    """A define of the suite (any of its cases) used by a case whose
    permutations do not all define it is an error, at the line of use."""
    suite_names = set(IMPLICIT_DEFINES)
    for case in suite.cases:
        for g in case.groups:
            suite_names.update(g)
    for case in suite.cases:
        pieces = list(case.filters) + ([case.code] if case.code else [])
        for g in case.groups:
            for d in g.values():
                for v in d.values:
                    if v.const is None:
                        pieces.append(Code(v.expr, d.line))
        reported = set()
        for piece in pieces:
            for name, line in _uses(diag, suite.path, piece, suite_names):
                if name in IMPLICIT_DEFINES or (name, line) in reported:
                    continue
                missing = [i for i, g in enumerate(case.groups) if name not in g]
                if not missing:
                    continue
                reported.add((name, line))
                where = sorted(c.name for c in suite.cases
                               if c is not case and any(name in g for g in c.groups))
                if len(case.groups) > 1 and len(missing) < len(case.groups):
                    why = f"define group {missing[0] + 1} of case '{case.name}' does not define it"
                else:
                    why = f"case '{case.name}' does not define it"
                    if where:
                        why += f" (defined only by: {', '.join(where)})"
                diag.error(suite.path, line,
                           f"define '{name}' is used but never defined: {why}")


def check_asserts(diag, suite):
    """Rewrites assertions now so that malformed ones are reported here."""
    pieces = ([suite.code] if suite.code else []) + [c.code for c in suite.cases if c.code]
    for piece in pieces:
        piece.rewritten, errors = case_asserts.rewrite(piece.text, piece.line)
        for e in errors:
            diag.error(suite.path, piece.line + piece.text[:e.offset].count("\n"), str(e))


def load(paths, diag, root=None):
    """Loads every suite, then checks what spans suites."""
    suites = []
    for p in paths:
        display = os.path.relpath(p, root) if root else p
        s = _Loader(diag).suite(p, display)
        if s is not None:
            suites.append(s)
    seen_suites, seen_cases = {}, {}
    for s in suites:
        if s.name in seen_suites:
            diag.error(s.path, 1, f"duplicate suite name '{s.name}' "
                       f"(also {seen_suites[s.name].path})")
        seen_suites.setdefault(s.name, s)
        for c in s.cases:
            other = seen_cases.get(c.name)
            if other is not None:
                diag.error(s.path, c.line, f"duplicate case name '{c.name}' "
                           f"(also defined at {other.suite.path}:{other.line}); "
                           "case names must be unique across all suites")
            else:
                seen_cases[c.name] = c
        check_defines_used(diag, s)
        check_asserts(diag, s)
    return suites
