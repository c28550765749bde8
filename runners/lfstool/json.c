/*
 * json.c - JSON string and hex writers, byte-compatible with Python's
 * json.dumps(ensure_ascii=True) so lfstool's manifests diff cleanly against
 * ones written by Python tools.
 */
#include "json.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid;
 * *cp receives the code point. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
    size_t n;
    uint32_t min, c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2; min = 0x80; c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3; min = 0x800; c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4; min = 0x10000; c &= 0x07;
    } else {
        return 0;
    }
    if (n > avail) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return n;
}

void json_string(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            fprintf(out, "\\udc%02x", p[i]);
            i++;
            continue;
        }
        i += n;
        switch (cp) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp < 0x10000)) {
                fprintf(out, "\\u%04x", (unsigned)cp);
            } else if (cp >= 0x10000) {
                cp -= 0x10000;
                fprintf(out, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)),
                        (unsigned)(0xdc00 + (cp & 0x3ff)));
            } else {
                fputc((int)cp, out);
            }
        }
    }
    fputc('"', out);
}

void json_hex(FILE *out, const uint8_t *data, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        fprintf(out, "%02x", data[i]);
    }
    fputc('"', out);
}
