/*
 * appendf.h - formatted appends to a fixed-size text buffer (messages,
 * ids), truncating at the end of the buffer.
 */
#ifndef TORTURE_APPENDF_H
#define TORTURE_APPENDF_H

#include <stddef.h>

/* Formats at buf + used (of len bytes in all; always NUL-terminated when
 * used < len) and returns the new used: the length the text would have
 * untruncated, so once used >= len further appends write nothing. */
size_t torture_appendf(char *buf, size_t len, size_t used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
