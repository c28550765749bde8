/*
 * bench_bd_emu.c - throughput of the emulated flash device (read, prog,
 * prog with a sync per block, erase of programmed blocks) and the cost of a
 * snapshot + one-block write + restore, on a 1 MiB and a 256 MiB device.
 *
 * Shows that snapshot cost does not grow with the device size.  Every
 * figure processes at least 256 MiB (the small device is swept repeatedly),
 * 4 KiB blocks, 256-byte reads and progs, erase value 0xff, strict mode.
 * The device is filled and emptied once, untimed, before measuring.
 * Prints one table row per device.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bd_emu.h"

#define BLOCK 4096u
#define IO 256u
#define VOLUME (256u << 20)
#define SNAP_ROUNDS 20000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench_bd_emu: %s failed: %d\n", what, rc);
        exit(1);
    }
}

static double mbps(uint64_t bytes, double seconds)
{
    return (double)bytes / (1024.0 * 1024.0) / seconds;
}

struct row {
    double read, prog, prog_sync, erase, snap_us;
    size_t memory;
};

/* Progs every block of the device in IO-sized pieces; syncs after each
 * block if asked. */
static void prog_all(bd_emu_t *bd, uint32_t blocks, const uint8_t *data, int sync)
{
    for (uint32_t b = 0; b < blocks; b++) {
        for (uint32_t off = 0; off < BLOCK; off += IO) {
            check(bd_emu_dev_prog(bd, b, off, data + off, IO), "prog");
        }
        if (sync) {
            check(bd_emu_dev_sync(bd), "sync");
        }
    }
}

static void erase_all(bd_emu_t *bd, uint32_t blocks)
{
    for (uint32_t b = 0; b < blocks; b++) {
        check(bd_emu_dev_erase(bd, b), "erase");
    }
}

static struct row run(uint32_t blocks)
{
    struct bd_emu_config cfg = {
        .read_size = IO, .prog_size = IO, .block_size = BLOCK, .block_count = blocks,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT, .seed = 1,
    };
    char err[200];
    bd_emu_t *bd = bd_emu_create(&cfg, err, sizeof err);
    if (!bd) {
        fprintf(stderr, "bench_bd_emu: %s\n", err);
        exit(1);
    }
    uint8_t data[BLOCK], buf[IO];
    for (uint32_t i = 0; i < BLOCK; i++) {
        data[i] = (uint8_t)(i * 131 + 7);
    }
    uint64_t device = (uint64_t)blocks * BLOCK;
    uint32_t sweeps = (uint32_t)(VOLUME / device);
    if (sweeps == 0) {
        sweeps = 1;
    }
    uint64_t volume = device * sweeps;
    struct row r;
    double t;

    /* warm-up: fill and empty the device once, so the figures below are
     * steady state rather than the host's first-touch page faults */
    prog_all(bd, blocks, data, 0);
    erase_all(bd, blocks);

    /* prog (the device is erased before each sweep, untimed) */
    double spent = 0;
    for (uint32_t s = 0; s < sweeps; s++) {
        erase_all(bd, blocks);
        t = now();
        prog_all(bd, blocks, data, 0);
        spent += now() - t;
    }
    r.prog = mbps(volume, spent);

    /* read */
    t = now();
    for (uint32_t s = 0; s < sweeps; s++) {
        for (uint32_t b = 0; b < blocks; b++) {
            for (uint32_t off = 0; off < BLOCK; off += IO) {
                check(bd_emu_dev_read(bd, b, off, buf, IO), "read");
            }
        }
    }
    r.read = mbps(volume, now() - t);

    /* erase of programmed blocks (reprogrammed between sweeps, untimed) */
    spent = 0;
    for (uint32_t s = 0; s < sweeps; s++) {
        if (s) {
            prog_all(bd, blocks, data, 0);
        }
        t = now();
        erase_all(bd, blocks);
        spent += now() - t;
    }
    r.erase = mbps(volume, spent);

    /* prog with a sync after each block: the first write to a block after a
     * sync copies it, to keep the synced contents for out-of-order cuts */
    spent = 0;
    for (uint32_t s = 0; s < sweeps; s++) {
        erase_all(bd, blocks);
        t = now();
        prog_all(bd, blocks, data, 1);
        spent += now() - t;
    }
    r.prog_sync = mbps(volume, spent);
    r.memory = bd_emu_memory(bd);

    /* snapshot, rewrite one block, restore, drop the snapshot */
    t = now();
    for (uint32_t i = 0; i < SNAP_ROUNDS; i++) {
        uint32_t b = (i * 2654435761u) % blocks;
        bd_emu_snapshot_t *snap = bd_emu_snapshot(bd);
        if (!snap) {
            check(LFS_ERR_NOMEM, "snapshot");
        }
        check(bd_emu_dev_erase(bd, b), "erase");
        check(bd_emu_dev_prog(bd, b, 0, data, BLOCK), "prog");
        check(bd_emu_restore(bd, snap), "restore");
        bd_emu_snapshot_free(snap);
    }
    r.snap_us = (now() - t) / SNAP_ROUNDS * 1e6;

    bd_emu_destroy(bd);
    return r;
}

int main(void)
{
    uint32_t sizes[] = { 256, 65536 };   /* 1 MiB, 256 MiB */
    printf("bd_emu: %u-byte blocks, %u-byte reads/progs, >= %u MiB per figure\n",
            BLOCK, IO, VOLUME >> 20);
    printf("%-9s %9s %9s %14s %9s %18s %10s\n", "device", "read", "prog",
            "prog+sync/blk", "erase", "snap+write+restore", "memory");
    printf("%-9s %9s %9s %14s %9s %18s %10s\n", "", "MB/s", "MB/s", "MB/s", "MB/s",
            "us", "MiB");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct row r = run(sizes[i]);
        char name[16];
        snprintf(name, sizeof name, "%u MiB", (unsigned)((uint64_t)sizes[i] * BLOCK >> 20));
        printf("%-9s %9.0f %9.0f %14.0f %9.0f %18.2f %10.1f\n", name, r.read, r.prog,
                r.prog_sync, r.erase, r.snap_us, r.memory / (1024.0 * 1024.0));
    }
    return 0;
}
