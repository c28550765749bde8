/*
 * appendf.c - formatted appends to a fixed-size text buffer. Assumes only
 * C99 vsnprintf.
 */
#include <stdarg.h>
#include <stdio.h>

#include "appendf.h"

size_t torture_appendf(char *buf, size_t len, size_t used, const char *fmt, ...) {
    if (used >= len) {
        return used;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : used + (size_t)n;
}
