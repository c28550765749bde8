/*
 * sidecar.c - loads the attribute sidecar for `lfstool pack`: the manifest
 * JSON that `lfstool unpack` (manifest.c) writes. Takes "geometry" and
 * "disk_version" when present and, from "entries", each path with its
 * "attrs" ({"TT": "hex bytes"}); sizes and hashes are not needed to pack
 * and are ignored. Anything malformed is an error naming the entry.
 */
#define _POSIX_C_SOURCE 200809L

#include "sidecar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "lfs.h"

#define SIDECAR_MAX_BYTES (256u * 1024 * 1024)

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            char *grown = cap <= SIDECAR_MAX_BYTES ? realloc(text, cap) : NULL;
            if (!grown) {
                cli_error("%s: too large for a sidecar, or out of memory", path);
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        size_t n = fread(text + size, 1, cap - size, f);
        size += n;
        if (n == 0) {
            break;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        cli_error("%s: read error", path);
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

static int get_u32(const char *file, const struct json_value *obj, const char *key,
        uint32_t *out)
{
    const struct json_value *v = json_get(obj, key);
    if (!v) {
        return 0;
    }
    if (v->type != JSON_NUMBER || v->number < 1 || v->number > 4294967295.0
            || v->number != (double)(uint32_t)v->number) {
        cli_error("%s: geometry: \"%s\" is not a positive 32-bit integer", file, key);
        return -1;
    }
    *out = (uint32_t)v->number;
    return 0;
}

static int load_header(struct sidecar *sc, const char *file, const struct json_value *root)
{
    const struct json_value *geo = json_get(root, "geometry");
    if (geo) {
        if (geo->type != JSON_OBJECT) {
            cli_error("%s: \"geometry\" is not an object", file);
            return -1;
        }
        if (get_u32(file, geo, "block_size", &sc->geometry.block_size) < 0
                || get_u32(file, geo, "block_count", &sc->geometry.block_count) < 0
                || get_u32(file, geo, "read_size", &sc->geometry.read_size) < 0
                || get_u32(file, geo, "prog_size", &sc->geometry.prog_size) < 0) {
            return -1;
        }
    }
    const struct json_value *ver = json_get(root, "disk_version");
    if (ver) {
        if (ver->type == JSON_STRING && strcmp(ver->string, "0x00020000") == 0) {
            sc->disk_version = 0x00020000;
        } else if (ver->type == JSON_STRING && strcmp(ver->string, "0x00020001") == 0) {
            sc->disk_version = 0x00020001;
        } else {
            cli_error("%s: \"disk_version\" must be \"0x00020000\" (2.0) or "
                    "\"0x00020001\" (2.1)", file);
            return -1;
        }
    }
    return 0;
}

static int load_attrs(struct sidecar_entry *e, const char *file, const struct json_value *attrs)
{
    if (attrs->type != JSON_OBJECT) {
        cli_error("%s: %s: \"attrs\" is not an object", file, e->path);
        return -1;
    }
    e->attrs = calloc(attrs->count ? attrs->count : 1, sizeof(*e->attrs));
    if (!e->attrs) {
        cli_error("out of memory");
        return -1;
    }
    bool seen[256] = {false};
    for (size_t i = 0; i < attrs->count; i++) {
        const struct json_member *m = &attrs->members[i];
        int hi = m->key_length == 2 ? hex_digit(m->key[0]) : -1;
        int lo = m->key_length == 2 ? hex_digit(m->key[1]) : -1;
        if (hi < 0 || lo < 0) {
            cli_error("%s: %s: attribute type \"%s\" is not two hex digits (00..ff)",
                    file, e->path, m->key);
            return -1;
        }
        uint8_t type = (uint8_t)(hi << 4 | lo);
        if (seen[type]) {
            cli_error("%s: %s: attribute %02x given twice", file, e->path, type);
            return -1;
        }
        seen[type] = true;
        const struct json_value *v = &m->value;
        if (v->type != JSON_STRING || v->length % 2 != 0) {
            cli_error("%s: %s: attribute %02x: the value is not a string of hex "
                    "byte pairs", file, e->path, type);
            return -1;
        }
        if (v->length / 2 > LFS_ATTR_MAX) {
            cli_error("%s: %s: attribute %02x: %zu bytes, more than littlefs's "
                    "limit of %d", file, e->path, type, v->length / 2, LFS_ATTR_MAX);
            return -1;
        }
        struct sidecar_attr *a = &e->attrs[e->attr_count++];
        a->type = type;
        a->size = v->length / 2;
        a->data = malloc(a->size ? a->size : 1);
        if (!a->data) {
            cli_error("out of memory");
            return -1;
        }
        for (size_t j = 0; j < a->size; j++) {
            int h = hex_digit(v->string[2 * j]), l = hex_digit(v->string[2 * j + 1]);
            if (h < 0 || l < 0) {
                cli_error("%s: %s: attribute %02x: the value is not a string of "
                        "hex byte pairs", file, e->path, type);
                return -1;
            }
            a->data[j] = (uint8_t)(h << 4 | l);
        }
    }
    return 0;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct sidecar_entry *)a)->path,
            ((const struct sidecar_entry *)b)->path);
}

static int load_entries(struct sidecar *sc, const char *file, const struct json_value *root)
{
    const struct json_value *entries = json_get(root, "entries");
    if (!entries) {
        return 0;
    }
    if (entries->type != JSON_ARRAY) {
        cli_error("%s: \"entries\" is not an array", file);
        return -1;
    }
    sc->entries = calloc(entries->count ? entries->count : 1, sizeof(*sc->entries));
    if (!sc->entries) {
        cli_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < entries->count; i++) {
        const struct json_value *item = &entries->items[i];
        const struct json_value *path = json_get(item, "path");
        if (!path || path->type != JSON_STRING || path->string[0] != '/'
                || strlen(path->string) != path->length) {
            cli_error("%s: entry %zu: no \"path\", or not an absolute path "
                    "without NUL bytes", file, i);
            return -1;
        }
        struct sidecar_entry *e = &sc->entries[sc->count++];
        e->path = strdup(path->string);
        if (!e->path) {
            cli_error("out of memory");
            return -1;
        }
        const struct json_value *attrs = json_get(item, "attrs");
        if (attrs && load_attrs(e, file, attrs) < 0) {
            return -1;
        }
    }
    qsort(sc->entries, sc->count, sizeof(*sc->entries), compare_entries);
    for (size_t i = 1; i < sc->count; i++) {
        if (strcmp(sc->entries[i - 1].path, sc->entries[i].path) == 0) {
            cli_error("%s: the path %s has two entries", file, sc->entries[i].path);
            return -1;
        }
    }
    return 0;
}

int sidecar_load(struct sidecar *sc, const char *path)
{
    memset(sc, 0, sizeof(*sc));
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        return -1;
    }
    struct json_value root;
    char why[160];
    int err = json_parse(text, len, &root, why, sizeof(why));
    free(text);
    if (err) {
        cli_error("%s: not valid JSON: %s", path, why);
        return -1;
    }
    if (root.type != JSON_OBJECT) {
        cli_error("%s: not a manifest (the top level is not an object)", path);
        err = -1;
    } else if (load_header(sc, path, &root) < 0 || load_entries(sc, path, &root) < 0) {
        err = -1;
    }
    json_free(&root);
    if (err) {
        sidecar_free(sc);
    }
    return err;
}

void sidecar_free(struct sidecar *sc)
{
    for (size_t i = 0; i < sc->count; i++) {
        struct sidecar_entry *e = &sc->entries[i];
        for (size_t j = 0; j < e->attr_count; j++) {
            free(e->attrs[j].data);
        }
        free(e->attrs);
        free(e->path);
    }
    free(sc->entries);
    memset(sc, 0, sizeof(*sc));
}

struct sidecar_entry *sidecar_find(const struct sidecar *sc, const char *path)
{
    struct sidecar_entry key = {.path = (char *)path};
    return sc->count ? bsearch(&key, sc->entries, sc->count, sizeof(key),
            compare_entries) : NULL;
}

/* DIR.manifest.json, for a DIR whose last component is a real name. */
char *sidecar_default_path(const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }
    const char *last = dir;
    for (size_t i = 0; i < len; i++) {
        if (dir[i] == '/') {
            last = dir + i + 1;
        }
    }
    size_t last_len = len - (size_t)(last - dir);
    if (last_len == 0 || (last_len == 1 && last[0] == '.')
            || (last_len == 2 && last[0] == '.' && last[1] == '.')) {
        return NULL;
    }
    char *name = malloc(len + sizeof(".manifest.json"));
    if (name) {
        memcpy(name, dir, len);
        strcpy(name + len, ".manifest.json");
    }
    return name;
}
