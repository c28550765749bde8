/*
 * bench_lfs_ops.c - device traffic of common filesystem operations: bytes
 * read, programmed and erased, and read/prog/erase/sync op counts, taken
 * from the bd_emu counters around each workload.
 *
 * Workloads (each on a freshly formatted and mounted disk, format and mount
 * not counted): creating 100 small files, appending 64 KiB in 1 KiB writes
 * with a sync after each, rewriting a 4 KiB file 100 times, and one rename
 * of a file between two directories; and, with ten directories holding a
 * file each, 100 boots (unmount, mount, append 16 B to one file) and one
 * boot followed by lfs_fs_mkconsistent.  Geometries: default (512-byte blocks,
 * 16-byte read/prog, 2048 blocks, cache 64, lookahead 16) and nor
 * (4096-byte blocks, 1-byte read/prog, 256 blocks).  Everything is
 * deterministic (fixed seed, no timing), so the table is comparable across
 * commits.  Assumes the public littlefs v2 API of lfs/lfs.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bd_emu.h"
#include "lfs.h"

struct geometry {
    const char *name;
    lfs_size_t read, prog, block, count, cache, lookahead;
};

static const struct geometry geometries[] = {
    {"default", 16, 16, 512, 2048, 64, 16},
    {"nor", 1, 1, 4096, 256, 64, 16},
};

static void check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench_lfs_ops: %s failed: %d\n", what, rc);
        exit(1);
    }
}

static void pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t x = (uint32_t)(i + 1) * 2654435761u ^ seed * 0x9e3779b9u;
        buf[i] = (uint8_t)(x >> 13);
    }
}

static void write_file(lfs_t *lfs, const char *path, int flags,
        const uint8_t *data, lfs_size_t size)
{
    lfs_file_t f;
    check(lfs_file_open(lfs, &f, path, flags), "open");
    lfs_ssize_t n = lfs_file_write(lfs, &f, data, size);
    check(n, "write");
    if ((lfs_size_t)n != size) {
        fprintf(stderr, "bench_lfs_ops: short write to %s\n", path);
        exit(1);
    }
    check(lfs_file_close(lfs, &f), "close");
}

/* ---- workloads: each returns the number of filesystem operations ------- */

static unsigned create_small_files(lfs_t *lfs)
{
    uint8_t data[32];
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "small%03d", i);
        pattern(data, sizeof(data), (uint32_t)i);
        write_file(lfs, name, LFS_O_WRONLY | LFS_O_CREAT | LFS_O_EXCL,
                data, sizeof(data));
    }
    return 100;
}

static unsigned append_64k(lfs_t *lfs)
{
    uint8_t data[1024];
    lfs_file_t f;
    check(lfs_file_open(lfs, &f, "log", LFS_O_WRONLY | LFS_O_CREAT | LFS_O_APPEND), "open");
    for (int i = 0; i < 64; i++) {
        pattern(data, sizeof(data), (uint32_t)i);
        check(lfs_file_write(lfs, &f, data, sizeof(data)), "write");
        check(lfs_file_sync(lfs, &f), "sync");
    }
    check(lfs_file_close(lfs, &f), "close");
    return 64;
}

static unsigned rewrite_4k(lfs_t *lfs)
{
    uint8_t data[4096];
    for (int i = 0; i < 100; i++) {
        pattern(data, sizeof(data), (uint32_t)i);
        write_file(lfs, "rewrite", LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC,
                data, sizeof(data));
    }
    return 100;
}

static void rename_setup(lfs_t *lfs)
{
    uint8_t data[100];
    pattern(data, sizeof(data), 7);
    check(lfs_mkdir(lfs, "a"), "mkdir");
    check(lfs_mkdir(lfs, "b"), "mkdir");
    write_file(lfs, "a/file", LFS_O_WRONLY | LFS_O_CREAT, data, sizeof(data));
}

static unsigned rename_across_dirs(lfs_t *lfs)
{
    check(lfs_rename(lfs, "a/file", "b/file"), "rename");
    return 1;
}

/* ten directories with a small file each (for the two workloads below) */
static void dirs_setup(lfs_t *lfs)
{
    uint8_t data[16];
    char path[32];
    pattern(data, sizeof(data), 3);
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "d%d", i);
        check(lfs_mkdir(lfs, path), "mkdir");
        snprintf(path, sizeof(path), "d%d/log", i);
        write_file(lfs, path, LFS_O_WRONLY | LFS_O_CREAT, data, sizeof(data));
    }
}

static void remount(lfs_t *lfs)
{
    const struct lfs_config *cfg = lfs->cfg;
    check(lfs_unmount(lfs), "unmount");
    check(lfs_mount(lfs, cfg), "mount");
}

/* a data logger's boot: mount, append one record to one file, unmount; the
 * first commit of each mount compacts that directory's pair (lfs_settle.c) */
static unsigned boot_append(lfs_t *lfs)
{
    uint8_t data[16];
    for (int i = 0; i < 100; i++) {
        remount(lfs);
        pattern(data, sizeof(data), (uint32_t)i);
        write_file(lfs, "d0/log", LFS_O_WRONLY | LFS_O_APPEND, data, sizeof(data));
    }
    return 100;
}

/* lfs_fs_mkconsistent right after mount: rewrites every metadata pair */
static unsigned boot_mkconsistent(lfs_t *lfs)
{
    remount(lfs);
    check(lfs_fs_mkconsistent(lfs), "mkconsistent");
    return 1;
}

struct workload {
    const char *name;
    void (*setup)(lfs_t *lfs);          /* not counted; may be NULL */
    unsigned (*run)(lfs_t *lfs);
};

static const struct workload workloads[] = {
    {"create 100 x 32 B files", NULL, create_small_files},
    {"append 64 KiB (1 KiB + sync)", NULL, append_64k},
    {"rewrite 4 KiB file x 100", NULL, rewrite_4k},
    {"rename across dirs", rename_setup, rename_across_dirs},
    {"boot + append 16 B x 100", dirs_setup, boot_append},
    {"boot + mkconsistent, 10 dirs", dirs_setup, boot_mkconsistent},
};

static void run(const struct geometry *g, const struct workload *w)
{
    struct bd_emu_config bcfg = {
        .read_size = g->read,
        .prog_size = g->prog,
        .block_size = g->block,
        .block_count = g->count,
        .erase_value = 0xff,
        .prog_mode = BD_EMU_PROG_STRICT,
        .seed = 1,
    };
    char err[128];
    bd_emu_t *bd = bd_emu_create(&bcfg, err, sizeof(err));
    if (!bd) {
        fprintf(stderr, "bench_lfs_ops: device: %s\n", err);
        exit(1);
    }
    struct lfs_config cfg = {
        .context = bd,
        .read = bd_emu_read,
        .prog = bd_emu_prog,
        .erase = bd_emu_erase,
        .sync = bd_emu_sync,
        .read_size = g->read,
        .prog_size = g->prog,
        .block_size = g->block,
        .block_count = g->count,
        .block_cycles = -1,
        .cache_size = g->cache,
        .lookahead_size = g->lookahead,
    };
    lfs_t lfs;
    check(lfs_format(&lfs, &cfg), "format");
    check(lfs_mount(&lfs, &cfg), "mount");
    if (w->setup) {
        w->setup(&lfs);
    }
    bd_emu_reset_counters(bd);
    struct bd_emu_counters before, after;
    bd_emu_counters(bd, &before);
    unsigned ops = w->run(&lfs);
    bd_emu_counters(bd, &after);
    check(lfs_unmount(&lfs), "unmount");
    bd_emu_destroy(bd);

    printf("%-8s %-29s %5u %10" PRIu64 " %10" PRIu64 " %10" PRIu64
            " %7" PRIu64 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 "\n",
            g->name, w->name, ops,
            after.bytes_read - before.bytes_read,
            after.bytes_progged - before.bytes_progged,
            after.bytes_erased - before.bytes_erased,
            after.reads - before.reads,
            after.progs - before.progs,
            after.erases - before.erases,
            after.syncs - before.syncs);
}

int main(void)
{
    printf("%-8s %-29s %5s %10s %10s %10s %7s %7s %6s %6s\n",
            "geometry", "workload", "ops", "B read", "B progged", "B erased",
            "reads", "progs", "erases", "syncs");
    for (size_t g = 0; g < sizeof(geometries) / sizeof(geometries[0]); g++) {
        for (size_t w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
            run(&geometries[g], &workloads[w]);
        }
    }
    return 0;
}
