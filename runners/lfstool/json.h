/*
 * json.h - the few JSON value writers lfstool's manifests need.
 */
#ifndef LFSTOOL_JSON_H
#define LFSTOOL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes a quoted JSON string as Python's json.dumps does by default
 * (ASCII only: other characters as \uXXXX, astral ones as surrogate
 * pairs). Bytes that are not valid UTF-8 are written as the lone
 * surrogates \udc80..\udcff, Python's "surrogateescape" convention, so
 * every byte string round-trips. */
void json_string(FILE *out, const char *s, size_t len);

/* Writes bytes as a quoted string of lowercase hex digits. */
void json_hex(FILE *out, const uint8_t *data, size_t len);

#endif
