/*
 * manifest.c - writes the JSON manifest of a mounted image: geometry, disk
 * version and one entry per file or directory (root first, depth-first in
 * lfs_dir_read order) with path, type, size, sha256 and custom attributes.
 * The layout matches Python's json.dumps(indent=1), the golden manifests'.
 * Attributes are found by asking lfs_getattr for every type 0x00..0xff.
 */
#define _POSIX_C_SOURCE 200809L

#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "sha256.h"
#include "tree.h"

struct manifest_writer {
    FILE *out;
    struct image *img;
};

static int write_attrs(struct manifest_writer *w, const char *path)
{
    static uint8_t value[LFS_ATTR_MAX];
    bool any = false;
    fputs("   \"attrs\": {", w->out);
    for (int type = 0; type <= 0xff; type++) {
        lfs_ssize_t n = lfs_getattr(&w->img->lfs, path, (uint8_t)type,
                value, sizeof(value));
        if (n == LFS_ERR_NOATTR) {
            continue;
        }
        if (n < 0) {
            image_error(w->img, path, n);
            return -1;
        }
        if ((size_t)n > sizeof(value)) {
            cli_error("%s: %s: corrupt attribute 0x%02x: %ld bytes, more than "
                    "the %d an attribute can have", w->img->path, path, type,
                    (long)n, LFS_ATTR_MAX);
            return -1;
        }
        fprintf(w->out, "%s\n    \"%02x\": ", any ? "," : "", type);
        json_hex(w->out, value, (size_t)n);
        any = true;
    }
    fputs(any ? "\n   }\n" : "}\n", w->out);
    return 0;
}

static int hash_sink(void *ctx, const void *data, size_t size)
{
    sha256_update(ctx, data, size);
    return 0;
}

static int write_entry(void *ctx, const char *path, const struct lfs_info *info)
{
    struct manifest_writer *w = ctx;
    bool root = strcmp(path, "/") == 0;
    fputs(root ? "  {\n   \"path\": " : ",\n  {\n   \"path\": ", w->out);
    json_string(w->out, path, strlen(path));
    if (info->type == LFS_TYPE_DIR) {
        fputs(",\n   \"type\": \"dir\",\n", w->out);
    } else {
        struct sha256 hash;
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        sha256_init(&hash);
        if (tree_read_file(w->img, path, hash_sink, &hash) != 0) {
            return -1;
        }
        sha256_final(&hash, digest);
        sha256_hex(digest, hex);
        fprintf(w->out, ",\n   \"type\": \"file\",\n   \"size\": %lu,\n"
                "   \"sha256\": \"%s\",\n", (unsigned long)info->size, hex);
    }
    if (write_attrs(w, path) < 0) {
        return -1;
    }
    fputs("  }", w->out);
    return 0;
}

int manifest_write(FILE *out, struct image *img)
{
    struct manifest_writer w = {out, img};
    const char *name = strrchr(img->path, '/');
    name = name ? name + 1 : img->path;

    fputs("{\n \"image\": ", out);
    json_string(out, name, strlen(name));
    fprintf(out, ",\n \"geometry\": {\n  \"block_size\": %lu,\n"
            "  \"block_count\": %lu,\n  \"read_size\": %lu,\n"
            "  \"prog_size\": %lu\n },\n",
            (unsigned long)img->fsinfo.block_size,
            (unsigned long)img->fsinfo.block_count,
            (unsigned long)img->cfg.read_size, (unsigned long)img->cfg.prog_size);
    fprintf(out, " \"disk_version\": \"0x%08lx\",\n",
            (unsigned long)img->fsinfo.disk_version);
    fputs(" \"made_by\": \"brownout lfstool\",\n"
          " \"notes\": \"what brownout's core reads back after mounting the "
          "image; read_size and prog_size are the ones it was read with\",\n"
          " \"entries\": [\n", out);

    struct lfs_info root = {.type = LFS_TYPE_DIR, .name = "/"};
    if (write_entry(&w, "/", &root) != 0
            || tree_walk(img, "/", true, write_entry, &w) != 0) {
        return -1;
    }
    fputs("\n ]\n}\n", out);
    return 0;
}

int manifest_save(struct image *img, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        cli_error("%s", strerror(errno));
        return -1;
    }
    int err = manifest_write(mem, img);
    if (fclose(mem) != 0) {
        cli_error("%s", strerror(errno));
        err = -1;
    }
    if (err == 0) {
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        if (!f) {
            cli_error("%s: %s", path, strerror(errno));
            err = -1;
        } else {
            fwrite(text, 1, len, f);
            if (f == stdout ? fflush(f) != 0 : fclose(f) != 0) {
                cli_error("%s: %s", f == stdout ? "stdout" : path, strerror(errno));
                err = -1;
            }
        }
    }
    free(text);
    return err;
}

int cmd_manifest(const struct cli *cli)
{
    struct image img;
    if (image_open(&img, cli->args[0], &cli->geometry) < 0) {
        return EXIT_FAIL;
    }
    int err = manifest_save(&img, "-");
    image_close(&img);
    return err ? EXIT_FAIL : EXIT_OK;
}
