/*
 * trap.c - the stack of traps, calls under a trap, and the failure
 * reporters that the assertion macros of torture_case.h call.
 *
 * Assumes one permutation runs per process at a time (the runner forks per
 * permutation), so the stack is a plain global. Failure messages start with
 * the .toml file:line the #line directives give the case code.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trap.h"
#include "torture_case.h"

static struct torture_trap *top;
static char message[TORTURE_MESSAGE_MAX];
static int reason;

void torture_trap_push(struct torture_trap *trap) {
    trap->prev = top;
    top = trap;
}

void torture_trap_pop(struct torture_trap *trap) {
    top = trap->prev;
}

char *torture_trap_message(void) {
    return message;
}

int torture_trap_reason(void) {
    return reason;
}

void torture_trap_raise(int why) {
    if (!top) {
        fprintf(stderr, "%s\n", why == TORTURE_TRAP_FAIL ? message
                : "power cut outside of a run");
        fflush(stderr);
        _exit(3);
    }
    reason = why;
    longjmp(top->jmp, why);
}

int torture_trap_catch(int why, void (*fn)(void *arg), void *arg) {
    struct torture_trap trap;
    torture_trap_push(&trap);
    if (setjmp(trap.jmp) == 0) {
        fn(arg);
        torture_trap_pop(&trap);
        return 0;
    }
    torture_trap_pop(&trap);
    if (reason != why) {
        torture_trap_raise(reason);
    }
    return 1;
}

static void vappend(char *buf, const char *fmt, va_list ap) {
    size_t n = strlen(buf);
    if (n + 1 < TORTURE_MESSAGE_MAX) {
        vsnprintf(buf + n, TORTURE_MESSAGE_MAX - n, fmt, ap);
    }
}

static void append(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vappend(buf, fmt, ap);
    va_end(ap);
}

static void begin(const char *file, int line) {
    char *m = torture_trap_message();
    m[0] = '\0';
    if (file) {
        append(m, "%s:%d: ", file, line);
    }
}

void torture_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    begin(file, line);
    va_start(ap, fmt);
    vappend(torture_trap_message(), fmt, ap);
    va_end(ap);
    torture_trap_raise(TORTURE_TRAP_FAIL);
}

void torture_fail_eq(const char *file, int line, const char *text,
        intmax_t got, intmax_t want) {
    begin(file, line);
    append(torture_trap_message(), "assertion failed: %s: got %jd, expected %jd",
            text, got, want);
    torture_trap_raise(TORTURE_TRAP_FAIL);
}

void torture_fail_cmp(const char *file, int line, const char *text,
        intmax_t a, const char *op, intmax_t b) {
    begin(file, line);
    append(torture_trap_message(), "assertion failed: %s: %jd %s %jd is false",
            text, a, op, b);
    torture_trap_raise(TORTURE_TRAP_FAIL);
}

void torture_fail_true(const char *file, int line, const char *text) {
    begin(file, line);
    append(torture_trap_message(), "assertion failed: %s", text);
    torture_trap_raise(TORTURE_TRAP_FAIL);
}

static void hex_window(char *m, const char *label, const unsigned char *p,
        size_t from, size_t to) {
    append(m, "%s[%zu..%zu] =", label, from, to);
    for (size_t i = from; i < to; i++) {
        append(m, " %02x", p[i]);
    }
}

void torture_fail_memcmp(const char *file, int line, const char *text,
        const void *a, const void *b, size_t n, intmax_t got, intmax_t want) {
    const unsigned char *pa = a, *pb = b;
    char *m = torture_trap_message();
    begin(file, line);
    append(m, "assertion failed: %s: got %jd, expected %jd", text, got, want);
    size_t i = 0;
    while (i < n && pa[i] == pb[i]) {
        i++;
    }
    if (i < n) {
        size_t from = i > 4 ? i - 4 : 0;
        size_t to = from + 16 < n ? from + 16 : n;
        append(m, "; first difference at byte %zu of %zu: ", i, n);
        hex_window(m, "a", pa, from, to);
        append(m, ", ");
        hex_window(m, "b", pb, from, to);
    } else {
        append(m, "; the %zu bytes are equal", n);
    }
    torture_trap_raise(TORTURE_TRAP_FAIL);
}

static void quoted(char *m, const char *s) {
    size_t n = 0;
    append(m, "\"");
    for (; *s && n < 80; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            append(m, "\\%c", c);
        } else if (isprint(c)) {
            append(m, "%c", c);
        } else {
            append(m, "\\x%02x", c);
        }
    }
    append(m, *s ? "\"..." : "\"");
}

void torture_fail_strcmp(const char *file, int line, const char *text,
        const char *a, const char *b, intmax_t got, intmax_t want) {
    char *m = torture_trap_message();
    begin(file, line);
    append(m, "assertion failed: %s: got %jd, expected %jd; a = ", text, got, want);
    quoted(m, a);
    append(m, ", b = ");
    quoted(m, b);
    torture_trap_raise(TORTURE_TRAP_FAIL);
}
