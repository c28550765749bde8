/*
 * cmd_salvage.c - `lfstool salvage IMAGE DIR`: writes every file that can
 * still be read from IMAGE under DIR, even if IMAGE does not mount
 * (fsck_recover.c finds them from the raw blocks). DIR must not exist or
 * be empty. Recovered names never hold '/' and are never "." or "..", and
 * files are created with O_EXCL | O_NOFOLLOW, so nothing is written
 * outside DIR. Whatever is lost or partial is listed on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "host_dir.h"
#include "fsck.h"

struct salvager {
    const char *dir;
    char *buf;                  /* DIR/relative path */
    size_t cap;
    unsigned long files, dirs, lost;
    unsigned long long bytes;
};

static const char *host_path(struct salvager *s, const char *rel)
{
    size_t need = strlen(s->dir) + 1 + strlen(rel) + 1;
    if (need > s->cap) {
        char *b = realloc(s->buf, need);
        if (!b) {
            return NULL;
        }
        s->buf = b;
        s->cap = need;
    }
    snprintf(s->buf, s->cap, "%s%s%s", s->dir, rel[0] ? "/" : "", rel);
    return s->buf;
}

static void salvage_lost(void *ctx, const char *path, uint32_t block, const char *why)
{
    struct salvager *s = ctx;
    s->lost++;
    cli_error("salvage: /%s: %s (block 0x%x)", path, why, (unsigned)block);
}

static int salvage_dir(void *ctx, const char *path,
        const struct recover_attr *attrs, int nattrs)
{
    struct salvager *s = ctx;
    (void)attrs;
    (void)nattrs;
    if (!path[0]) {
        return 0;
    }
    const char *host = host_path(s, path);
    if (!host) {
        cli_error("out of memory");
        return -1;
    }
    struct stat st;
    if (mkdir(host, 0777) != 0 && !(errno == EEXIST && lstat(host, &st) == 0
            && S_ISDIR(st.st_mode))) {
        salvage_lost(ctx, path, 0xffffffffu, strerror(errno));
        return 0;
    }
    s->dirs++;
    return 0;
}

static int salvage_file(void *ctx, const char *path, const uint8_t *data,
        uint32_t size, const struct recover_attr *attrs, int nattrs)
{
    struct salvager *s = ctx;
    (void)attrs;
    (void)nattrs;
    const char *host = host_path(s, path);
    if (!host) {
        cli_error("out of memory");
        return -1;
    }
    int fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
    if (fd < 0) {
        salvage_lost(ctx, path, 0xffffffffu, strerror(errno));
        return 0;
    }
    uint32_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += (uint32_t)n;
    }
    if (close(fd) != 0 || done < size) {
        salvage_lost(ctx, path, 0xffffffffu, "cannot write the host file");
        return 0;
    }
    s->files++;
    s->bytes += size;
    return 0;
}

int cmd_salvage(const struct cli *cli)
{
    struct fsck_dev dev;
    char why[300];
    if (fsck_dev_open(&dev, cli->args[0], &cli->geometry, why, sizeof(why)) < 0) {
        cli_error("%s: %s", cli->args[0], why);
        return EXIT_FAIL;
    }
    struct salvager s = {.dir = cli->args[1]};
    int status = EXIT_FAIL;
    if (host_dir_make_empty(s.dir) == 0) {
        struct recover_sink sink = {&s, salvage_dir, salvage_file, salvage_lost};
        int res = fsck_recover(&dev, &sink);
        if (res < 0) {
            cli_error("salvage: out of memory");
        } else {
            printf("salvaged %lu files (%llu bytes) and %lu directories from %s "
                    "(%u blocks of %u bytes, geometry from %s) into %s; %lu lost "
                    "or partial\n", s.files, s.bytes, s.dirs, cli->args[0],
                    (unsigned)dev.block_count, (unsigned)dev.block_size,
                    dev.geometry_from, s.dir, s.lost);
            status = s.lost ? EXIT_FAIL : EXIT_OK;
        }
    }
    free(s.buf);
    fsck_dev_close(&dev);
    return status;
}
