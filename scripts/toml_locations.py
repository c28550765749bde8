"""Where each key of a TOML document sits in its raw text.

The `toml` package parses values but keeps no positions, so this scanner
walks the raw text a second time and records, for every key path, the line
of the key and, for string values, the line on which the string's content
starts (a multi-line string that opens with a newline starts on the next
line, since TOML trims that newline). Paths are tuples of keys; elements of
arrays (and of arrays of tables) appear as integer indices.

It assumes the text already parsed with `toml` (so it is well formed); on
anything it does not understand it stops and keeps what it found so far.
"""
import bisect
import re

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Location:
    """Lines (1-based) of one key: the key itself, and where its value's
    content begins; `continued` is true for a basic multi-line string that
    uses line-ending backslashes (its content lines do not map 1:1)."""

    def __init__(self, line, content_line, continued=False):
        self.line = line
        self.content_line = content_line
        self.continued = continued

    def __repr__(self):
        return f"Location({self.line}, {self.content_line})"


class _Stop(Exception):
    pass


class _Scanner:
    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.found = {}
        self.aot_count = {}

    def line_at(self, pos):
        return bisect.bisect_right(self.starts, pos)

    def peek(self, s):
        return self.text.startswith(s, self.pos)

    def skip_space(self, newlines):
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c in " \t\r" or (newlines and c == "\n"):
                self.pos += 1
            elif c == "#":
                end = t.find("\n", self.pos)
                self.pos = len(t) if end < 0 else end
            else:
                break

    def key(self):
        parts = []
        while True:
            self.skip_space(False)
            t = self.text
            if self.pos >= len(t):
                raise _Stop()
            c = t[self.pos]
            if c in "\"'":
                start = self.pos
                self.string_value()
                raw = t[start + 1:self.pos - 1]
                parts.append(raw.encode().decode("unicode_escape") if c == '"' else raw)
            else:
                m = _BARE_KEY.match(t, self.pos)
                if not m:
                    raise _Stop()
                parts.append(m.group(0))
                self.pos = m.end()
            self.skip_space(False)
            if self.peek("."):
                self.pos += 1
                continue
            return tuple(parts)

    def string_value(self):
        """Skips a string starting at pos; returns (content_pos, continued)."""
        t = self.text
        for delim, escapes in (('"""', True), ("'''", False)):
            if t.startswith(delim, self.pos):
                self.pos += 3
                content = self.pos
                if t.startswith("\r\n", content):
                    content += 2
                elif t.startswith("\n", content):
                    content += 1
                continued = False
                while True:
                    if self.pos >= len(t):
                        raise _Stop()
                    if escapes and t[self.pos] == "\\":
                        nxt = t[self.pos + 1:self.pos + 2]
                        if nxt in ("\n", " ", "\t", "\r"):
                            continued = True
                        self.pos += 2
                        continue
                    if t.startswith(delim, self.pos):
                        # a closing delimiter may be followed by up to two
                        # more quote characters that belong to the content
                        self.pos += 3
                        while self.pos < len(t) and t[self.pos] == delim[0]:
                            self.pos += 1
                        return content, continued
                    self.pos += 1
        quote = t[self.pos]
        self.pos += 1
        content = self.pos
        while self.pos < len(t) and t[self.pos] != quote:
            if quote == '"' and t[self.pos] == "\\":
                self.pos += 1
            if t[self.pos] == "\n":
                raise _Stop()
            self.pos += 1
        self.pos += 1
        return content, False

    def value(self, path, key_line):
        t = self.text
        self.skip_space(False)
        if self.pos >= len(t):
            raise _Stop()
        c = t[self.pos]
        if c in "\"'":
            content, continued = self.string_value()
            self.found[path] = Location(key_line, self.line_at(content), continued)
        elif c == "[":
            self.found[path] = Location(key_line, key_line)
            self.pos += 1
            i = 0
            while True:
                self.skip_space(True)
                if self.peek("]"):
                    self.pos += 1
                    return
                self.value(path + (i,), self.line_at(self.pos))
                i += 1
                self.skip_space(True)
                if self.peek(","):
                    self.pos += 1
        elif c == "{":
            self.found[path] = Location(key_line, key_line)
            self.pos += 1
            while True:
                self.skip_space(True)
                if self.peek("}"):
                    self.pos += 1
                    return
                line = self.line_at(self.pos)
                k = self.key()
                if not self.peek("="):
                    raise _Stop()
                self.pos += 1
                self.value(path + k, line)
                self.skip_space(True)
                if self.peek(","):
                    self.pos += 1
        else:
            m = re.compile(r"[^,\]}\n#]*").match(t, self.pos)
            self.pos = m.end()
            self.found[path] = Location(key_line, key_line)

    def header_path(self, key, array):
        """Resolves a header key, entering the last element of every
        array of tables it passes through."""
        path = ()
        for i, part in enumerate(key):
            path = path + (part,)
            if path in self.aot_count and not (array and i == len(key) - 1):
                path = path + (self.aot_count[path] - 1,)
        if array:
            n = self.aot_count.get(path, 0)
            self.aot_count[path] = n + 1
            path = path + (n,)
        return path

    def scan(self):
        table = ()
        t = self.text
        while True:
            self.skip_space(True)
            if self.pos >= len(t):
                return
            line = self.line_at(self.pos)
            if self.peek("["):
                array = self.peek("[[")
                self.pos += 2 if array else 1
                key = self.key()
                close = "]]" if array else "]"
                if not self.peek(close):
                    raise _Stop()
                self.pos += len(close)
                table = self.header_path(key, array)
                self.found.setdefault(table, Location(line, line))
            else:
                key = self.key()
                if not self.peek("="):
                    raise _Stop()
                self.pos += 1
                full = table + key
                # dotted keys create their intermediate tables here
                for n in range(len(table) + 1, len(full)):
                    self.found.setdefault(full[:n], Location(line, line))
                self.value(full, line)


def locate(text):
    """Maps every key path of `text` to its Location."""
    s = _Scanner(text)
    try:
        s.scan()
    except (_Stop, IndexError, UnicodeDecodeError):
        pass
    return s.found
