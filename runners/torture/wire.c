/*
 * wire.c - framing of worker records (see wire.h). Out of memory in a
 * worker aborts it, which the parent reports as that permutation's failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

static int reserve(struct wire_buf *b, size_t more) {
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) {
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

static void append(struct wire_buf *b, const void *p, size_t n) {
    if (reserve(b, n) < 0) {
        abort();
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void wire_begin(struct wire_buf *b, char type) {
    b->len = 0;
    append(b, "\0\0\0\0", 4);
    char t[4] = {'t', '=', type, '\0'};
    append(b, t, 4);
}

void wire_put(struct wire_buf *b, const char *key, const char *value) {
    append(b, key, strlen(key));
    append(b, "=", 1);
    append(b, value, strlen(value) + 1);
}

void wire_putu(struct wire_buf *b, const char *key, uint64_t value) {
    char num[32];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
    wire_put(b, key, num);
}

int wire_send(int fd, struct wire_buf *b) {
    size_t n = b->len - 4;
    for (int i = 0; i < 4; i++) {
        b->data[i] = (char)((n >> (8 * i)) & 0xff);
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

void wire_buf_free(struct wire_buf *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}

int wire_feed(struct wire_buf *in, const char *bytes, size_t n) {
    if (reserve(in, n) < 0) {
        return -1;
    }
    memcpy(in->data + in->len, bytes, n);
    in->len += n;
    return 0;
}

bool wire_next(struct wire_buf *in, struct wire_buf *out, struct wire_frame *f) {
    if (in->len < 4) {
        return false;
    }
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        n |= (size_t)(unsigned char)in->data[i] << (8 * i);
    }
    if (in->len < 4 + n) {
        return false;
    }
    out->len = 0;
    append(out, in->data + 4, n);
    memmove(in->data, in->data + 4 + n, in->len - 4 - n);
    in->len -= 4 + n;
    f->data = out->data;
    f->len = n;
    return true;
}

const char *wire_get(const struct wire_frame *f, const char *key) {
    size_t klen = strlen(key);
    const char *p = f->data, *end = f->data + f->len;
    while (p < end) {
        size_t len = strnlen(p, (size_t)(end - p));
        if (len > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
            return p + klen + 1;
        }
        p += len + 1;
    }
    return NULL;
}
