"""A small C tokenizer: enough to find statements, calls and identifiers in
case code without being fooled by strings, comments or preprocessor lines.

It knows one token that is not C: `=>`, the assertion shorthand of the case
format. Each token records its kind ('id', 'num', 'str', 'char', 'punct',
'pp' for a whole preprocessor line), its text and its start/end offsets.
"""
import re

_PUNCT = sorted("""
    ... <<= >>= -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ## =>
    [ ] ( ) { } . & * + - ~ ! / % < > ^ | ? : ; = , #
""".split(), key=len, reverse=True)

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUM = re.compile(r"\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*")
_SPACE = re.compile(r"[ \t\r\f\v]+")


class Token:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def __repr__(self):
        return f"Token({self.kind}, {self.text!r})"


class TokenizeError(Exception):
    def __init__(self, message, offset):
        super().__init__(message)
        self.offset = offset


def _quoted_end(code, pos, quote):
    i = pos + 1
    while i < len(code):
        c = code[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if c == "\n":
            break
        i += 1
    what = "string" if quote == '"' else "character constant"
    raise TokenizeError(f"unterminated {what}", pos)


def tokenize(code):
    """Returns the list of tokens of `code` (comments dropped)."""
    toks = []
    i, n = 0, len(code)
    line_start = True
    while i < n:
        c = code[i]
        if c == "\n":
            i += 1
            line_start = True
            continue
        m = _SPACE.match(code, i)
        if m:
            i = m.end()
            continue
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
            continue
        if code.startswith("/*", i):
            j = code.find("*/", i + 2)
            if j < 0:
                raise TokenizeError("unterminated comment", i)
            i = j + 2
            continue
        if c == "#" and line_start:
            j = i
            while True:
                k = code.find("\n", j)
                if k < 0:
                    k = n
                    break
                if code[k - 1] == "\\":
                    j = k + 1
                    continue
                break
            toks.append(Token("pp", code[i:k], i, k))
            i = k
            continue
        line_start = False
        if c in "\"'":
            j = _quoted_end(code, i, c)
            toks.append(Token("str" if c == '"' else "char", code[i:j], i, j))
            i = j
            continue
        m = _ID.match(code, i)
        if m:
            # string/char prefixes: L"..", u8"..", U'..'
            if m.end() < n and code[m.end()] in "\"'" and m.group(0) in ("L", "u", "U", "u8"):
                j = _quoted_end(code, m.end(), code[m.end()])
                toks.append(Token("str", code[i:j], i, j))
                i = j
                continue
            toks.append(Token("id", m.group(0), i, m.end()))
            i = m.end()
            continue
        m = _NUM.match(code, i)
        if m:
            toks.append(Token("num", m.group(0), i, m.end()))
            i = m.end()
            continue
        for p in _PUNCT:
            if code.startswith(p, i):
                toks.append(Token("punct", p, i, i + len(p)))
                i += len(p)
                break
        else:
            raise TokenizeError(f"stray character {c!r}", i)
    return toks


def identifiers(code):
    """Yields (name, offset) for identifiers that are not member names."""
    prev = None
    for t in tokenize(code):
        if t.kind == "id" and not (prev is not None and prev.text in (".", "->")):
            yield t.text, t.start
        prev = t


def top_level(toks, start=0, end=None):
    """Yields (index, token) for each punctuator of toks[start:end] outside
    brackets (the brackets themselves are not yielded)."""
    depth = 0
    for j in range(start, len(toks) if end is None else end):
        t = toks[j]
        if t.kind != "punct":
            continue
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
        elif depth == 0:
            yield j, t


def split_top_level(toks, sep=","):
    """Splits a token list at `sep` tokens outside brackets."""
    parts, last = [], 0
    for j, t in top_level(toks):
        if t.text == sep:
            parts.append(toks[last:j])
            last = j + 1
    parts.append(toks[last:])
    return parts
