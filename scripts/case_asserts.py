"""Rewrites the case format's assertions into calls of the harness's
reporting macros (harness/torture_case.h), in place.

- `expr => value;` becomes TORTURE_ASSERT_EQ(expr, value, "text", LINE);
  `memcmp(a, b, n) => v;` and `strcmp(a, b) => v;` get the variants that
  print the differing bytes or strings.
- `assert(a OP b)` with one top-level comparison becomes
  TORTURE_ASSERT_CMP(a, OP, b, "text", LINE); any other `assert(e)` becomes
  TORTURE_ASSERT_TRUE(e, "text", LINE).

LINE is the .toml line of the statement, passed explicitly because
compilers disagree on __LINE__ inside a macro call that spans lines.

Every rewrite keeps the original expressions' text, newlines included, so
line numbers (and therefore the #line mapping to the TOML) do not move.
"""
from c_tokens import tokenize, split_top_level, top_level, TokenizeError

_BOUNDARY = {";", "{", "}"}
_COMPARE = {"==", "!=", "<", ">", "<=", ">="}


class AssertSyntaxError(Exception):
    """A malformed assertion; offset is into the code string."""

    def __init__(self, message, offset):
        super().__init__(message)
        self.offset = offset


def _c_string(text):
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("?", "\\?")
    return '"' + out + '"'


def _text_of(code, toks):
    """The tokens' source text on one line, whitespace and comments
    between tokens collapsed to one space."""
    out = []
    for i, t in enumerate(toks):
        if i and t.start > toks[i - 1].end:
            out.append(" ")
        out.append(code[t.start:t.end])
    return "".join(out)


def _matching(toks, i):
    """Index of the bracket closing toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].kind == "punct" and toks[j].text in "([{":
            depth += 1
        elif toks[j].kind == "punct" and toks[j].text in ")]}":
            depth -= 1
            if depth == 0:
                return j
    raise AssertSyntaxError("unbalanced parentheses", toks[i].start)


def _statement_start(toks, k):
    """First token of the expression before the `=>` at index k."""
    depth = 0
    i = k - 1
    while i >= 0:
        t = toks[i]
        if t.kind == "pp":
            break
        if t.kind == "punct":
            if t.text in ")]":
                depth += 1
            elif t.text in "([":
                depth -= 1
                if depth < 0:
                    raise AssertSyntaxError(
                        "'=>' is a statement ('expr => value;'), not an expression", toks[k].start)
            elif depth == 0 and t.text in _BOUNDARY:
                break
        i -= 1
    s = i + 1
    # step over control-flow heads (else, do, if (...), while (...), ...)
    # and labels (case X:, default:, name:)
    while s < k:
        t = toks[s]
        if t.kind == "id" and t.text in ("else", "do"):
            s += 1
        elif (t.kind == "id" and t.text in ("if", "while", "for", "switch")
              and s + 1 < k and toks[s + 1].text == "("):
            s = _matching(toks, s + 1) + 1
        elif t.kind == "id" and t.text == "case":
            s = _case_colon(toks, s, k) + 1
        elif t.kind == "id" and s + 1 < k and toks[s + 1].text == ":":
            s += 2      # default: or a goto label
        else:
            break
    return s


def _case_colon(toks, s, k):
    """Index of the ':' ending the `case` label at toks[s], before toks[k]
    (a ':' of a conditional expression in the label is not it)."""
    pending = 0
    for j, t in top_level(toks, s + 1, k):
        if t.text == "?":
            pending += 1
        elif t.text == ":":
            if not pending:
                return j
            pending -= 1
    raise AssertSyntaxError("expected ':' after the 'case' label", toks[s].start)


def _call_args(toks, name):
    """Arguments of `name(...)` if toks are exactly that call, else None."""
    if (len(toks) >= 3 and toks[0].kind == "id" and toks[0].text == name
            and toks[1].text == "(" and _matching(toks, 1) == len(toks) - 1):
        return split_top_level(toks[2:-1])
    return None


def _src(code, toks):
    return code[toks[0].start:toks[-1].end]


def _rewrite_arrow(code, toks, k, line_of):
    """Returns (start, end, replacement, next token index) for the `=>`
    statement whose arrow is toks[k]."""
    s = _statement_start(toks, k)
    if s == k:
        raise AssertSyntaxError("'=>' has no expression on its left", toks[k].start)
    e = k + 1
    depth = 0
    while True:
        if e >= len(toks):
            raise AssertSyntaxError("expected ';' after 'expr => value'", toks[k].start)
        t = toks[e]
        if t.kind == "punct":
            if t.text in "([":
                depth += 1
            elif t.text in ")]":
                depth -= 1
            elif t.text == "=>":
                raise AssertSyntaxError("two '=>' in one statement", t.start)
            elif depth == 0 and t.text == ";":
                break
            elif depth <= 0 and t.text in "{}":
                raise AssertSyntaxError("expected ';' after 'expr => value'", toks[k].start)
        e += 1
    lhs, rhs = toks[s:k], toks[k + 1:e]
    if not rhs:
        raise AssertSyntaxError("'=>' has no value on its right", toks[k].start)
    text = _c_string(_text_of(code, toks[s:e])) + f", {line_of(toks[s].start)}"
    rhs_src = _src(code, rhs)
    args = _call_args(lhs, "memcmp")
    if args is not None and len(args) == 3 and all(args):
        a, b, n = (_src(code, x) for x in args)
        rep = f"TORTURE_ASSERT_MEMCMP({a}, {b}, {n}, {rhs_src}, {text})"
    else:
        args = _call_args(lhs, "strcmp")
        if args is not None and len(args) == 2 and all(args):
            a, b = (_src(code, x) for x in args)
            rep = f"TORTURE_ASSERT_STRCMP({a}, {b}, {rhs_src}, {text})"
        else:
            rep = f"TORTURE_ASSERT_EQ({_src(code, lhs)}, {rhs_src}, {text})"
    return toks[s].start, toks[e].start, rep, e + 1


def _rewrite_assert(code, toks, i, line_of):
    """Rewrites `assert(...)` at toks[i]; returns (start, end, text, next)."""
    close = _matching(toks, i + 1)
    inner = toks[i + 2:close]
    if not inner:
        raise AssertSyntaxError("assert() needs an expression", toks[i].start)
    text = _c_string(_text_of(code, inner)) + f", {line_of(toks[i].start)}"
    ops, logic = [], False
    for j, t in top_level(inner):
        if t.text in _COMPARE:
            ops.append(j)
        elif t.text in ("&&", "||", "?", ",", "=>"):
            logic = True
    if len(ops) == 1 and not logic and 0 < ops[0] < len(inner) - 1:
        j = ops[0]
        a, b = _src(code, inner[:j]), _src(code, inner[j + 1:])
        rep = f"TORTURE_ASSERT_CMP({a}, {inner[j].text}, {b}, {text})"
    else:
        rep = f"TORTURE_ASSERT_TRUE({_src(code, inner)}, {text})"
    return toks[i].start, toks[close].end, rep, close + 1


def _next_statement(toks, i):
    """Index just past the next ';' at or after i (error recovery)."""
    while i < len(toks) and toks[i].text != ";":
        i += 1
    return i + 1


def rewrite(code, first_line):
    """Returns (code with every assertion rewritten, [AssertSyntaxError])
    for `code`, whose first line is .toml line `first_line`."""
    def line_of(offset):
        return first_line + code.count("\n", 0, offset)

    try:
        toks = tokenize(code)
    except TokenizeError as e:
        return code, [AssertSyntaxError(f"cannot read C code: {e}", e.offset)]
    edits, errors = [], []
    i = 0
    while i < len(toks):
        t = toks[i]
        is_assert = (t.kind == "id" and t.text == "assert" and i + 1 < len(toks)
                     and toks[i + 1].text == "("
                     and not (i > 0 and toks[i - 1].text in (".", "->")))
        if (t.kind == "punct" and t.text == "=>") or is_assert:
            try:
                rewrite_one = _rewrite_assert if is_assert else _rewrite_arrow
                start, end, rep, i = rewrite_one(code, toks, i, line_of)
                edits.append((start, end, rep))
            except AssertSyntaxError as e:
                errors.append(e)
                i = _next_statement(toks, i + 1)
            continue
        i += 1
    out, last = [], 0
    for start, end, rep in edits:
        out.append(code[last:start])
        out.append(rep)
        last = end
    out.append(code[last:])
    return "".join(out), errors
