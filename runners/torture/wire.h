/*
 * wire.h - the records a worker sends its parent over a pipe.
 *
 * A frame is a 4-byte little-endian length, then `key=value\0` pairs. The
 * key `t` gives the record type: 'H' (the permutation's header: id parts
 * and defines), 'O' (one outcome), 'E' (the worker finished normally).
 */
#ifndef TORTURE_WIRE_H
#define TORTURE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_buf {
    char *data;
    size_t len, cap;
};

void wire_begin(struct wire_buf *b, char type);
void wire_put(struct wire_buf *b, const char *key, const char *value);
void wire_putu(struct wire_buf *b, const char *key, uint64_t value);
/* Sends the frame; returns 0 or -1 (the parent is gone). */
int wire_send(int fd, struct wire_buf *b);
void wire_buf_free(struct wire_buf *b);

/* Parent side: bytes in, frames out. */
struct wire_frame {
    const char *data;
    size_t len;
};

/* Appends bytes; returns 0 or -1 when out of memory. */
int wire_feed(struct wire_buf *in, const char *bytes, size_t n);
/* Takes the next complete frame off `in` into `out` (owned by the caller,
 * reused); false when none is complete. */
bool wire_next(struct wire_buf *in, struct wire_buf *out, struct wire_frame *f);
/* The value of key in frame f, or NULL. */
const char *wire_get(const struct wire_frame *f, const char *key);

#endif
