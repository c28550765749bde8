/*
 * json_read.c - parses JSON text (RFC 8259) into a tree of json_values by
 * recursive descent, depth-limited, with every read bounds-checked. Owns
 * the decoding of \u escapes to UTF-8 bytes, including the surrogateescape
 * convention json.c writes for bytes that are not UTF-8.
 */
#define _POSIX_C_SOURCE 200809L

#include "json_read.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *text;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct parser *p, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    p->failed = true;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(p->err, p->errlen, "line %zu column %zu: ", line, col);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

static void skip_space(struct parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos])
            && p->text[p->pos] != '\0') {
        p->pos++;
    }
}

static bool literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos >= n && memcmp(p->text + p->pos, word, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

/* A growing byte buffer for decoded strings. */
struct bytes {
    char *data;
    size_t len, cap;
};

static bool put_byte(struct parser *p, struct bytes *b, unsigned char c)
{
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 32;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            fail(p, "out of memory");
            return false;
        }
        b->data = grown;
        b->cap = cap;
    }
    b->data[b->len++] = (char)c;
    return true;
}

static bool put_utf8(struct parser *p, struct bytes *b, uint32_t cp)
{
    if (cp < 0x80) {
        return put_byte(p, b, (unsigned char)cp);
    } else if (cp < 0x800) {
        return put_byte(p, b, (unsigned char)(0xc0 | cp >> 6))
            && put_byte(p, b, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        return put_byte(p, b, (unsigned char)(0xe0 | cp >> 12))
            && put_byte(p, b, (unsigned char)(0x80 | (cp >> 6 & 0x3f)))
            && put_byte(p, b, (unsigned char)(0x80 | (cp & 0x3f)));
    }
    return put_byte(p, b, (unsigned char)(0xf0 | cp >> 18))
        && put_byte(p, b, (unsigned char)(0x80 | (cp >> 12 & 0x3f)))
        && put_byte(p, b, (unsigned char)(0x80 | (cp >> 6 & 0x3f)))
        && put_byte(p, b, (unsigned char)(0x80 | (cp & 0x3f)));
}

static int hex4(struct parser *p, uint32_t *out)
{
    if (p->len - p->pos < 4) {
        fail(p, "truncated \\u escape");
        return -1;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->text[p->pos++];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            fail(p, "bad \\u escape");
            return -1;
        }
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* A \u escape (the "\u" already read), possibly a surrogate pair. */
static bool unicode_escape(struct parser *p, struct bytes *b)
{
    uint32_t cp;
    if (hex4(p, &cp) < 0) {
        return false;
    }
    if (cp >= 0xd800 && cp < 0xdc00) {
        uint32_t low;
        if (p->len - p->pos < 2 || memcmp(p->text + p->pos, "\\u", 2) != 0) {
            fail(p, "a high surrogate without its low half");
            return false;
        }
        p->pos += 2;
        if (hex4(p, &low) < 0) {
            return false;
        }
        if (low < 0xdc00 || low >= 0xe000) {
            fail(p, "a high surrogate without its low half");
            return false;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    } else if (cp >= 0xdc00 && cp < 0xe000) {
        if (cp < 0xdc80 || cp > 0xdcff) {
            fail(p, "a lone low surrogate");
            return false;
        }
        return put_byte(p, b, (unsigned char)(cp - 0xdc00));   /* surrogateescape */
    }
    return put_utf8(p, b, cp);
}

static bool parse_string(struct parser *p, char **out, size_t *out_len)
{
    struct bytes b = {0};
    p->pos++;   /* the opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)p->text[p->pos++];
        if (c == '"') {
            if (!put_byte(p, &b, 0)) {
                break;
            }
            *out = b.data;
            *out_len = b.len - 1;
            return true;
        }
        if (c < 0x20) {
            fail(p, "a control character in a string");
            break;
        }
        if (c != '\\') {
            if (!put_byte(p, &b, c)) {
                break;
            }
            continue;
        }
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            break;
        }
        char e = p->text[p->pos++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        bool ok;
        if (hit) {
            ok = put_byte(p, &b, (unsigned char)to[hit - from]);
        } else if (e == 'u') {
            ok = unicode_escape(p, &b);
        } else {
            fail(p, "bad escape '\\%c'", e);
            ok = false;
        }
        if (!ok) {
            break;
        }
    }
    free(b.data);
    return false;
}

static bool parse_number(struct parser *p, double *out)
{
    size_t start = p->pos;
    if (p->pos < p->len && p->text[p->pos] == '-') {
        p->pos++;
    }
    const char *digits = "0123456789";
    size_t int_start = p->pos;
    while (p->pos < p->len && p->text[p->pos] && strchr(digits, p->text[p->pos])) {
        p->pos++;
    }
    bool ok = p->pos > int_start
            && !(p->text[int_start] == '0' && p->pos - int_start > 1);
    if (ok && p->pos < p->len && p->text[p->pos] == '.') {
        size_t f = ++p->pos;
        while (p->pos < p->len && p->text[p->pos] && strchr(digits, p->text[p->pos])) {
            p->pos++;
        }
        ok = p->pos > f;
    }
    if (ok && p->pos < p->len && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->text[p->pos] == '+' || p->text[p->pos] == '-')) {
            p->pos++;
        }
        size_t e = p->pos;
        while (p->pos < p->len && p->text[p->pos] && strchr(digits, p->text[p->pos])) {
            p->pos++;
        }
        ok = p->pos > e;
    }
    if (!ok || p->pos - start > 64) {
        p->pos = start;
        fail(p, "bad number");
        return false;
    }
    char buf[65];
    memcpy(buf, p->text + start, p->pos - start);
    buf[p->pos - start] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

static bool parse_value(struct parser *p, struct json_value *v, int depth);

/* Appends a zeroed slot to an array of `size`-byte elements. */
static void *grow(struct parser *p, void **items, size_t *count, size_t *cap, size_t size)
{
    if (*count == *cap) {
        size_t n = *cap ? 2 * *cap : 8;
        void *grown = realloc(*items, n * size);
        if (!grown) {
            fail(p, "out of memory");
            return NULL;
        }
        *items = grown;
        *cap = n;
    }
    char *slot = (char *)*items + (*count)++ * size;
    memset(slot, 0, size);
    return slot;
}

static bool parse_array(struct parser *p, struct json_value *v, int depth)
{
    size_t cap = 0;
    v->type = JSON_ARRAY;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        struct json_value *item = grow(p, (void **)&v->items, &v->count, &cap,
                sizeof(*item));
        if (!item || !parse_value(p, item, depth + 1)) {
            return false;
        }
        skip_space(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
        } else if (p->pos < p->len && p->text[p->pos] == ']') {
            p->pos++;
            return true;
        } else {
            fail(p, "expected ',' or ']'");
            return false;
        }
    }
}

static bool parse_object(struct parser *p, struct json_value *v, int depth)
{
    size_t cap = 0;
    v->type = JSON_OBJECT;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_space(p);
        if (p->pos >= p->len || p->text[p->pos] != '"') {
            fail(p, "expected a member name");
            return false;
        }
        struct json_member *m = grow(p, (void **)&v->members, &v->count, &cap,
                sizeof(*m));
        if (!m || !parse_string(p, &m->key, &m->key_length)) {
            return false;
        }
        skip_space(p);
        if (p->pos >= p->len || p->text[p->pos] != ':') {
            fail(p, "expected ':'");
            return false;
        }
        p->pos++;
        if (!parse_value(p, &m->value, depth + 1)) {
            return false;
        }
        skip_space(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
        } else if (p->pos < p->len && p->text[p->pos] == '}') {
            p->pos++;
            return true;
        } else {
            fail(p, "expected ',' or '}'");
            return false;
        }
    }
}

static bool parse_value(struct parser *p, struct json_value *v, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(p, "nested deeper than %d", JSON_MAX_DEPTH);
        return false;
    }
    skip_space(p);
    if (p->pos >= p->len) {
        fail(p, "expected a value");
        return false;
    }
    char c = p->text[p->pos];
    if (c == '{') {
        return parse_object(p, v, depth);
    } else if (c == '[') {
        return parse_array(p, v, depth);
    } else if (c == '"') {
        v->type = JSON_STRING;
        return parse_string(p, &v->string, &v->length);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = JSON_NUMBER;
        return parse_number(p, &v->number);
    } else if (literal(p, "true") || literal(p, "false")) {
        v->type = JSON_BOOL;
        v->boolean = c == 't';
        return true;
    } else if (literal(p, "null")) {
        v->type = JSON_NULL;
        return true;
    }
    fail(p, "expected a value");
    return false;
}

int json_parse(const char *text, size_t len, struct json_value *out,
        char *err, size_t errlen)
{
    struct parser p = {text, len, 0, err, errlen, false};
    memset(out, 0, sizeof(*out));
    if (parse_value(&p, out, 0)) {
        skip_space(&p);
        if (p.pos != p.len) {
            fail(&p, "text after the value");
        }
    }
    if (p.failed) {
        json_free(out);
        return -1;
    }
    return 0;
}

void json_free(struct json_value *v)
{
    /* recursion as deep as the parse's, at most JSON_MAX_DEPTH */
    for (size_t i = 0; i < v->count; i++) {
        if (v->type == JSON_ARRAY) {
            json_free(&v->items[i]);
        } else if (v->type == JSON_OBJECT) {
            free(v->members[i].key);
            json_free(&v->members[i].value);
        }
    }
    free(v->items);
    free(v->members);
    free(v->string);
    memset(v, 0, sizeof(*v));
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
    if (v->type != JSON_OBJECT) {
        return NULL;
    }
    size_t n = strlen(key);
    for (size_t i = 0; i < v->count; i++) {
        if (v->members[i].key_length == n && memcmp(v->members[i].key, key, n) == 0) {
            return &v->members[i].value;
        }
    }
    return NULL;
}
