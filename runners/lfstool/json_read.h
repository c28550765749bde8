/*
 * json_read.h - a small JSON reader for lfstool's sidecar manifests: the
 * whole text parsed into a tree of values.
 */
#ifndef LFSTOOL_JSON_READ_H
#define LFSTOOL_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json_value {
    enum json_type type;
    bool boolean;
    double number;
    char *string;               /* bytes, NUL-terminated; see json_parse */
    size_t length;              /* string bytes (may hold NULs) */
    struct json_value *items;   /* array elements */
    struct json_member *members;/* object members, in text order */
    size_t count;               /* elements or members */
};

struct json_member {
    char *key;
    size_t key_length;
    struct json_value value;
};

/* Parses `len` bytes of JSON text into *out. Strings become UTF-8; the
 * lone surrogates \udc80..\udcff become the single bytes 0x80..0xff
 * (Python's surrogateescape, as json.c writes them), other lone surrogates
 * are an error. Nesting is limited to JSON_MAX_DEPTH. Returns 0, or -1
 * with a message ("line L column C: what") in `err`. */
#define JSON_MAX_DEPTH 64
int json_parse(const char *text, size_t len, struct json_value *out,
        char *err, size_t errlen);

void json_free(struct json_value *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

#endif
