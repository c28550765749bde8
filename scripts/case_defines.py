"""Define values of the case format, from TOML values to lists of C
expressions.

A define's TOML value is an int, a bool, a string or a list of those. A
string holds C expressions separated by commas outside brackets, where
`range(stop)` and `range(start, stop[, step])` expand to integers. Range
arguments must be integer constants: the expansion happens here, since the
number of permutations of a case is fixed when it is compiled. Anything else
in a string stays a C expression, evaluated lazily by the runner, so it may
name other defines.
"""
import ast
import re

from c_tokens import tokenize, split_top_level, TokenizeError

_RANGE = re.compile(r"^\s*range\s*\((.*)\)\s*$", re.S)


class DefineError(Exception):
    pass


class Value:
    """One value of a define: `text` as the user wrote it, `expr` the C
    expression, `const` its integer value when it is a literal."""
    __slots__ = ("text", "expr", "const")

    def __init__(self, text, expr, const=None):
        self.text, self.expr, self.const = text, expr, const

    def __repr__(self):
        return f"Value({self.text!r})"


def _c_int(node):
    """Evaluates an integer constant expression with C's semantics for / and %."""
    if isinstance(node, ast.Expression):
        return _c_int(node.body)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
        v = _c_int(node.operand)
        return -v if isinstance(node.op, ast.USub) else (~v if isinstance(node.op, ast.Invert) else v)
    if isinstance(node, ast.BinOp):
        a, b = _c_int(node.left), _c_int(node.right)
        op = node.op
        if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)):
            if b == 0:
                raise DefineError("division by zero in range() argument")
            q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
            return q if not isinstance(op, ast.Mod) else a - q * b
        table = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                 ast.LShift: lambda: a << b, ast.RShift: lambda: a >> b,
                 ast.BitAnd: lambda: a & b, ast.BitOr: lambda: a | b, ast.BitXor: lambda: a ^ b}
        for kind, f in table.items():
            if isinstance(op, kind):
                return f()
    raise DefineError("not an integer constant")


def _const(text):
    """The integer value of a C integer constant expression, or None."""
    t = re.sub(r"(?<=[0-9a-fA-F])[uUlL]+\b", "", text.strip())
    t = re.sub(r"\b0([0-7]+)\b", r"0o\1", t)
    try:
        return _c_int(ast.parse(t, mode="eval"))
    except (SyntaxError, DefineError, ValueError, RecursionError):
        return None


def _expand_range(args_text):
    try:
        toks = tokenize(args_text)
    except TokenizeError as e:
        raise DefineError(f"bad range(): {e}")
    args = [args_text[p[0].start:p[-1].end] if p else "" for p in split_top_level(toks)]
    if not 1 <= len(args) <= 3 or any(not a for a in args):
        raise DefineError("range() takes 1 to 3 arguments: range(stop) or range(start, stop[, step])")
    nums = []
    for a in args:
        v = _const(a)
        if v is None:
            raise DefineError(f"range() argument '{a}' is not an integer constant "
                              "(ranges expand when the case is compiled; "
                              "list the values instead)")
        nums.append(v)
    if len(nums) == 3 and nums[2] == 0:
        raise DefineError("range() step must not be zero")
    return [Value(str(v), str(v), v) for v in range(*nums)]


def parse_string(s):
    """Splits a define string into values, expanding range()."""
    try:
        toks = tokenize(s)
    except TokenizeError as e:
        raise DefineError(f"cannot read define value '{s}': {e}")
    values = []
    for part in split_top_level(toks):
        if not part:
            raise DefineError(f"empty value in define list '{s}'")
        text = s[part[0].start:part[-1].end]
        m = _RANGE.match(text)
        if m and part[0].text == "range":
            values.extend(_expand_range(m.group(1)))
        else:
            values.append(Value(text, text, _const(text)))
    return values


def parse_value(v):
    """All values of one define's TOML value, in order."""
    if isinstance(v, bool):
        return [Value("true" if v else "false", "1" if v else "0", int(v))]
    if isinstance(v, int):
        return [Value(str(v), str(v), v)]
    if isinstance(v, str):
        return parse_string(v)
    if isinstance(v, list):
        out = []
        for x in v:
            if isinstance(x, (list, dict)):
                raise DefineError("a define list may not nest lists or tables")
            out.extend(parse_value(x))
        return out
    raise DefineError(f"a define value must be an integer, a bool, a string or a list, "
                      f"not {type(v).__name__}")
