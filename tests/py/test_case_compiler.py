"""The case compiler's features: TOML locations, define values and product
groups, suite-level defaults, `if`/`in`/`reentrant`/`judge`, the assertion
shorthand, #line mapping, and C that compiles. Error paths are in
test_case_compiler_errors.py; run-time behaviour in test_torture*.py.
"""
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import case_asserts  # noqa: E402
import case_codegen  # noqa: E402
import case_defines  # noqa: E402
import case_suites  # noqa: E402
from toml_locations import locate  # noqa: E402

COMPILER = REPO / "scripts" / "case_compiler.py"
CC_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-DLFS_MULTIVERSION",
            f"-I{REPO / 'harness'}", f"-I{REPO / 'lfs'}", f"-I{REPO / 'bd_emu'}"]


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def load(*paths):
    diag = case_suites.Diagnostics()
    suites = case_suites.load([str(p) for p in paths], diag)
    return suites, diag


def run_compiler(tmp_path, *paths, extra=()):
    return subprocess.run([sys.executable, str(COMPILER), "-o", str(tmp_path / "gen"),
                           *extra, *map(str, paths)],
                          capture_output=True, text=True, cwd=tmp_path)


# ---- where keys are ------------------------------------------------------------

def test_locations_of_tables_dotted_keys_and_strings():
    text = textwrap.dedent('''\
        # comment
        code = \'\'\'
        int helper;
        \'\'\'
        defines.N = 1

        [cases.a]
        code = \'\'\'int first_line_same_line;
        int second;\'\'\'
        defines = { M = 2, K = "x, y" }
        if = "N > 1"

        [cases.b]
        defines.L = [
            1,   # one
            2,
        ]
        code = """
        body
        """

        [[cases.c.defines]]
        P = 1
        [[cases.c.defines]]
        P = 2
        Q = 3
        ''')
    loc = locate(text)
    assert loc[("code",)].line == 2 and loc[("code",)].content_line == 3
    assert loc[("defines", "N")].line == 5
    assert loc[("cases", "a")].line == 7
    assert loc[("cases", "a", "code")].content_line == 8      # same line as '''
    assert loc[("cases", "a", "defines", "M")].line == 10
    assert loc[("cases", "a", "defines", "K")].line == 10
    assert loc[("cases", "a", "if")].line == 11
    assert loc[("cases", "b", "defines", "L")].line == 14
    assert loc[("cases", "b", "defines", "L", 1)].line == 16
    assert loc[("cases", "b", "code")].content_line == 19
    assert loc[("cases", "c", "defines", 0, "P")].line == 23
    assert loc[("cases", "c", "defines", 1, "P")].line == 25
    assert loc[("cases", "c", "defines", 1, "Q")].line == 26


def test_locations_of_line_continued_strings_are_flagged():
    text = 'code = """\\\n    a \\\n    b"""\n'
    assert locate(text)[("code",)].continued


# ---- define values --------------------------------------------------------------

def values(v):
    return [(x.text, x.const) for x in case_defines.parse_value(v)]


def test_define_values_of_every_form():
    assert values(4) == [("4", 4)]
    assert values(True) == [("true", 1)]
    assert values([1, 2, 3]) == [("1", 1), ("2", 2), ("3", 3)]
    assert values("0x10, 010, 7u") == [("0x10", 16), ("010", 8), ("7u", 7)]
    # commas inside parentheses do not split
    assert values("f(1, 2), 3") == [("f(1, 2)", None), ("3", 3)]
    assert values("range(3)") == [("0", 0), ("1", 1), ("2", 2)]
    assert values("range(3, 12, 3)") == [("3", 3), ("6", 6), ("9", 9)]
    assert values("range(4, 0, -2)") == [("4", 4), ("2", 2)]
    assert values("range(2, 4), 100") == [("2", 2), ("3", 3), ("100", 100)]
    # C semantics for / in range arguments: truncation toward zero
    assert values("range(-7/2, 0)") == [("-3", -3), ("-2", -2), ("-1", -1)]
    assert values(["BLOCK_SIZE / 2", "range(1, 3)"]) == \
        [("BLOCK_SIZE / 2", None), ("1", 1), ("2", 2)]


@pytest.mark.parametrize("bad,message", [
    ("range(N)", "range() argument 'N' is not an integer constant"),
    ("range(1, 2, 0)", "range() step must not be zero"),
    ("range()", "range() takes 1 to 3 arguments"),
    ("1,,2", "empty value in define list"),
    (1.5, "a define value must be an integer, a bool, a string or a list, not float"),
    ([[1]], "a define list may not nest lists or tables"),
])
def test_define_value_errors(bad, message):
    with pytest.raises(case_defines.DefineError, match=re.escape(message)):
        case_defines.parse_value(bad)


def test_suite_defaults_and_product_groups(tmp_path):
    p = write(tmp_path, "groups.toml", '''
        defines.S = [10, 20]
        defines.N = 1
        if = 'S > 0'
        reentrant = true
        in = 'lfs.c'

        [cases.plain]
        code = ''

        [cases.own_wins]
        defines.N = [2, 3, 4]
        if = 'N != 3'
        reentrant = false
        code = ''

        [cases.groups]
        defines = [{A = [1, 2]}, {A = 3, B = 'range(5)'}]
        code = ''
        ''')
    (suite,), diag = load(p)
    assert not diag.items
    plain, own, groups = suite.cases
    assert plain.permutations == 2                      # S x N
    assert plain.reentrant and plain.in_file == "lfs.c"
    assert [f.text for f in plain.filters] == ["S > 0"]
    assert own.permutations == 6                        # S(2) x N(3)
    assert [v.text for v in own.groups[0]["N"].values] == ["2", "3", "4"]
    assert not own.reentrant
    assert [f.text for f in own.filters] == ["S > 0", "N != 3"]   # ANDed
    assert groups.permutations == 2 * 2 + 2 * 5         # S x each group
    assert [sorted(g) for g in groups.groups] == [["A", "N", "S"], ["A", "B", "N", "S"]]


def test_the_judge_key_suite_default_case_override_and_registry(tmp_path):
    p = write(tmp_path, "judged.toml", '''
        judge = 'restart'

        [cases.inherits]
        code = ''

        [cases.overrides]
        judge = 'oracle'
        code = ''
        ''')
    q = write(tmp_path, "unjudged.toml", '''
        [cases.runners_choice]
        code = ''
        ''')
    (judged, unjudged), diag = load(p, q)
    assert not diag.items
    assert [c.judge for c in judged.cases] == ["restart", "oracle"]
    assert unjudged.cases[0].judge is None
    # the registry entry ends with the judge's name, or NULL: the runner's
    proc = run_compiler(tmp_path, p.name, q.name)
    assert proc.returncode == 0, proc.stderr
    gen = (tmp_path / "gen" / "suites" / "judged.c").read_text()
    assert re.search(r'"inherits",[^{}]*, 1, "restart"\}', gen), gen
    assert re.search(r'"overrides",[^{}]*, 1, "oracle"\}', gen), gen
    other = (tmp_path / "gen" / "suites" / "unjudged.c").read_text()
    assert re.search(r'"runners_choice",[^{}]*, 1, NULL\}', other), other
    r = subprocess.run(["cc", *CC_FLAGS, "-fsyntax-only", str(tmp_path / "gen" / "suites" /
                                                           "judged.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ---- the assertion shorthand ------------------------------------------------------

def rewrite(code, line=10):
    out, errors = case_asserts.rewrite(textwrap.dedent(code), line)
    assert not errors, [str(e) for e in errors]
    return out


def test_arrow_becomes_eq_with_text_and_line():
    out = rewrite("lfs_mount(&lfs, cfg) => 0;\n")
    assert out == 'TORTURE_ASSERT_EQ(lfs_mount(&lfs, cfg), 0, "lfs_mount(&lfs, cfg) => 0", 10);\n'


def test_arrow_after_control_flow_and_across_lines():
    out = rewrite('''\
        if (x) f(a,
                 b) => LFS_ERR_NOENT;
        else g() => 1;
        for (i = 0; i < 3; i++) h(i) => i;
        while (k--) {
            q() => 2;
        }
        ''')
    lines = out.splitlines()
    assert lines[0] == "if (x) TORTURE_ASSERT_EQ(f(a,"
    assert lines[1].endswith('b), LFS_ERR_NOENT, "f(a, b) => LFS_ERR_NOENT", 10);')
    assert lines[2] == 'else TORTURE_ASSERT_EQ(g(), 1, "g() => 1", 12);'
    assert lines[3] == 'for (i = 0; i < 3; i++) TORTURE_ASSERT_EQ(h(i), i, "h(i) => i", 13);'
    assert lines[5].strip() == 'TORTURE_ASSERT_EQ(q(), 2, "q() => 2", 15);'
    assert out.count("\n") == 7     # line numbers unchanged


def test_arrow_after_labels_keeps_the_label_outside():
    out = rewrite('''\
        switch (v) {
        case 1: x() => 0;
        case A ? 2 : 3: case (4): y(v) => 1;
        default: f() => 0;
        }
        again: z => w;
        if (a) x => 0; else done: do assert(k); while (0);
        case 5: puts("p => q;"); /* r => s; */ t => u;
        ''')
    lines = out.splitlines()
    assert lines[1] == 'case 1: TORTURE_ASSERT_EQ(x(), 0, "x() => 0", 11);'
    assert lines[2] == ('case A ? 2 : 3: case (4): '
                        'TORTURE_ASSERT_EQ(y(v), 1, "y(v) => 1", 12);')
    assert lines[3] == 'default: TORTURE_ASSERT_EQ(f(), 0, "f() => 0", 13);'
    assert lines[5] == 'again: TORTURE_ASSERT_EQ(z, w, "z => w", 15);'
    assert lines[6] == ('if (a) TORTURE_ASSERT_EQ(x, 0, "x => 0", 16); '
                        'else done: do TORTURE_ASSERT_TRUE(k, "k", 16); while (0);')
    assert lines[7] == ('case 5: puts("p => q;"); /* r => s; */ '
                        'TORTURE_ASSERT_EQ(t, u, "t => u", 17);')


def test_a_case_label_without_its_colon_is_an_error():
    out, errors = case_asserts.rewrite("case 1 x => 0;\ny => 1;\n", 10)
    assert [str(e) for e in errors] == ["expected ':' after the 'case' label"]
    assert errors[0].offset == 0
    assert 'TORTURE_ASSERT_EQ(y, 1, "y => 1", 11);' in out


def test_labelled_assertions_compile(tmp_path):
    p = write(tmp_path, "labels.toml", '''
        [cases.labels]
        code = \'\'\'
            int n = 0;
            for (int v = 0; v < 3; v++) {
                switch (v) {
                case 0: n => 0;
                    n++;
                    break;
                case 1 ? 1 : 2: n => 1;
                    n++;
                    break;
                default: n => 2;
                }
            }
            goto out;
        out: n => 2;
        \'\'\'
        ''')
    proc = run_compiler(tmp_path, p.name)
    assert proc.returncode == 0, proc.stderr
    r = subprocess.run(["cc", *CC_FLAGS, "-fsyntax-only",
                        str(tmp_path / "gen" / "suites" / "labels.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_memcmp_strcmp_and_assert_forms():
    out = rewrite('''\
        memcmp(buf, "abc", 3) => 0;
        strcmp(info.name, "x") => 0;
        assert(a.b <= f(1, 2));
        assert(p && q);
        assert(ok);
        ''')
    assert 'TORTURE_ASSERT_MEMCMP(buf, "abc", 3, 0, "memcmp(buf, \\"abc\\", 3) => 0", 10)' in out
    assert 'TORTURE_ASSERT_STRCMP(info.name, "x", 0, "strcmp(info.name, \\"x\\") => 0", 11)' in out
    assert 'TORTURE_ASSERT_CMP(a.b, <=, f(1, 2), "a.b <= f(1, 2)", 12)' in out
    assert 'TORTURE_ASSERT_TRUE(p && q, "p && q", 13)' in out
    assert 'TORTURE_ASSERT_TRUE(ok, "ok", 14)' in out


def test_strings_comments_and_members_are_left_alone():
    code = textwrap.dedent('''\
        puts("a => b;");   // x => y;
        /* assert(0); */
        s.assert(1);
        p->assert(2);
        #define CHECK(x) x => 0
        ''')
    assert rewrite(code) == code


# ---- generated C ---------------------------------------------------------------------

FEATURES = '''
    # a suite using every feature
    code = \'\'\'
    static int twice(int x) {
        assert(x >= 0);
        return 2 * x;
    }
    \'\'\'
    defines.SUITE_D = 3

    [cases.features]
    defines.N = 'range(1, 4)'
    defines.M = ['N * 2', 'SUITE_D + 1']
    defines.READ_SIZE = 16
    if = 'N < BLOCK_COUNT'
    reentrant = true
    code = \'\'\'
        int x = twice(N);
        x => 2 * N;
        memcmp("ab", "ab", 2) => 0;
        strcmp("a", "a") => 0;
        assert(M > 0);
    \'\'\'

    [cases.in_core]
    in = 'lfs.c'
    code = \'\'\'
        (void)SUITE_D;
    \'\'\'
'''


def test_generated_c_maps_lines_and_compiles(tmp_path):
    p = write(tmp_path, "features.toml", FEATURES)
    proc = run_compiler(tmp_path, p.name)
    assert proc.returncode == 0, proc.stderr
    gen = tmp_path / "gen" / "suites" / "features.c"
    lines = gen.read_text().splitlines()
    toml_lines = p.read_text().splitlines()

    def mapped(needle):
        """(.toml line) of the generated line containing needle."""
        for i, l in enumerate(lines):
            if needle in l:
                for j in range(i, -1, -1):
                    m = re.match(r'#line (\d+) "(.*)"', lines[j])
                    if m:
                        return m[2], int(m[1]) + (i - j - 1)
        raise AssertionError(needle)

    def line_of(text):
        return next(i + 1 for i, l in enumerate(toml_lines) if text in l)

    assert mapped("static int twice") == ("features.toml", line_of("static int twice"))
    assert mapped("int x = twice(N);") == ("features.toml", line_of("int x = twice(N);"))
    assert mapped("TORTURE_ASSERT_EQ(x, 2 * N") == ("features.toml", line_of("x => 2 * N"))
    assert mapped("(N * 2)") == ("features.toml", line_of("defines.M"))
    assert mapped("&& (N < BLOCK_COUNT)") == ("features.toml", line_of("if = 'N < BLOCK"))
    # after user code, lines map back to the generated file itself
    for i, l in enumerate(lines):
        m = re.match(r'#line (\d+) "(.*suites/features.c)"', l)
        if m:
            assert int(m[1]) == i + 2
    # the implicit define keeps its own index (0), user defines follow the 17
    assert re.search(r"\{0, 1, torture_vals_features_0_0_READ_SIZE\}", gen.read_text())
    assert "#define N torture_define(18)" in gen.read_text()
    # the `in` case's body is compiled inside lfs.c, after it
    inc = (tmp_path / "gen" / "in_cases.c").read_text()
    assert inc.index('#include "lfs.c"') < inc.index("void torture_in_features_1(")
    assert "(void)SUITE_D;" in inc and "(void)SUITE_D;" not in gen.read_text()
    assert "void torture_in_features_1(struct lfs_config *cfg);" in gen.read_text()
    for f in ("suites/features.c", "registry.c"):
        r = subprocess.run(["cc", *CC_FLAGS, "-fsyntax-only", str(tmp_path / "gen" / f)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_registry_lists_suites_and_define_names(tmp_path):
    a = write(tmp_path, "alpha.toml", "[cases.a1]\ndefines.X = 1\ncode = ''\n")
    b = write(tmp_path, "beta.toml", "[cases.b1]\ndefines.Y = 1\ndefines.X = 2\ncode = ''\n")
    proc = run_compiler(tmp_path, a.name, b.name, extra=["--list"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["alpha a1 1", "beta b1 1"]
    reg = (tmp_path / "gen" / "registry.c").read_text()
    assert "&torture_suite_alpha,\n    &torture_suite_beta" in reg
    names = re.findall(r'^    "(\w+)",?$', reg, re.M)
    assert names[:17] == case_suites.IMPLICIT_DEFINES
    assert names[17:] == ["X", "Y"]


def test_unchanged_output_is_not_rewritten(tmp_path):
    p = write(tmp_path, "same.toml", "[cases.same]\ncode = ''\n")
    assert run_compiler(tmp_path, p.name).returncode == 0
    gen = tmp_path / "gen" / "suites" / "same.c"
    os.utime(gen, (1, 1))
    assert run_compiler(tmp_path, p.name).returncode == 0
    assert gen.stat().st_mtime == 1
    p.write_text("[cases.same]\ncode = '(void)0;'\n")
    assert run_compiler(tmp_path, p.name).returncode == 0
    assert gen.stat().st_mtime != 1


def test_duplicate_suite_names_in_different_directories(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    write(tmp_path, "x/dup.toml", "[cases.one]\ncode = ''\n")
    write(tmp_path, "y/dup.toml", "[cases.two]\ncode = ''\n")
    proc = run_compiler(tmp_path, "x/dup.toml", "y/dup.toml")
    assert proc.returncode == 1
    assert "y/dup.toml:1: error: duplicate suite name 'dup' (also x/dup.toml)" in proc.stderr


def test_the_real_suites_compile_without_diagnostics(tmp_path):
    suites = sorted(str(p) for p in (REPO / "cases").rglob("*.toml"))
    assert suites, "no suites in cases/"
    proc = subprocess.run([sys.executable, str(COMPILER), "--check", *suites],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
