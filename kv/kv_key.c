/*
 * kv_key.c - keys: normalizing a key path into the form every call uses
 * ("a/b/c", root ""), the limits on it, and the names kv reserves.
 * Assumes kv->name_max was read from the mounted filesystem.
 */
#include "kv_internal.h"

#include <string.h>

int kv_name_hidden(const char *name) {
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0
        || strcmp(name, KV_TEMP_NAME) == 0;
}

int kv_key_parse(const kv_t *kv, const char *key, char *out) {
    if (!key) {
        return LFS_ERR_INVAL;
    }
    size_t len = 0;
    int depth = 0;
    const char *p = key;
    for (;;) {
        while (*p == '/') {
            p++;
        }
        if (!*p) {
            break;
        }
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')
                || (n == strlen(KV_TEMP_NAME) && memcmp(p, KV_TEMP_NAME, n) == 0)) {
            return LFS_ERR_INVAL;
        }
        if (n > kv->name_max || ++depth > KV_DEPTH_MAX
                || len + (len ? 1 : 0) + n > KV_KEY_MAX) {
            return LFS_ERR_NAMETOOLONG;
        }
        if (len) {
            out[len++] = '/';
        }
        memcpy(out + len, p, n);
        len += n;
        p += n;
    }
    out[len] = '\0';
    return 0;
}

const char *kv_key_lfs(const char *norm) {
    return norm[0] ? norm : "/";
}

size_t kv_key_base(const char *norm) {
    const char *slash = strrchr(norm, '/');
    return slash ? (size_t)(slash - norm) + 1 : 0;
}

int kv_key_under(const char *a, const char *b) {
    size_t n = strlen(a);
    if (n == 0) {
        return b[0] != '\0';
    }
    return strncmp(a, b, n) == 0 && b[n] == '/';
}
