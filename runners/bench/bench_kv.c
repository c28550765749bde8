/*
 * bench_kv.c - device cost of the key-value view: bytes read, programmed
 * and erased, and operation counts, of kv_set (new key and overwrite),
 * kv_get, kv_list and the dictionary walks kv_size, kv_last_modified and
 * kv_digest, for a 16-byte and a 4 KiB value, in a dictionary of
 * 10 and of 1,000 keys, on a 512-byte-block device (bd_emu counters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bd_emu.h"
#include "lfs_kv.h"

static int count_cb(void *ctx, const char *key, enum kv_kind kind) {
    (void)key;
    (void)kind;
    (*(int *)ctx)++;
    return 0;
}

static void report(bd_emu_t *bd, const char *what, int keys, unsigned size) {
    struct bd_emu_counters c;
    bd_emu_counters(bd, &c);
    printf("%-14s keys=%-5d value=%-5u read %8llu B in %6llu ops, "
           "prog %7llu B in %5llu ops, erase %7llu B in %4llu ops\n",
           what, keys, size,
           (unsigned long long)c.bytes_read, (unsigned long long)c.reads,
           (unsigned long long)c.bytes_progged, (unsigned long long)c.progs,
           (unsigned long long)c.bytes_erased, (unsigned long long)c.erases);
    bd_emu_reset_counters(bd);
}

static int check(int err, const char *what) {
    if (err) {
        fprintf(stderr, "bench_kv: %s failed: %d\n", what, err);
        exit(1);
    }
    return 0;
}

static void bench(int keys, unsigned size) {
    struct bd_emu_config bc = {
        .read_size = 16, .prog_size = 16, .block_size = 512, .block_count = 4096,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT, .seed = 1,
    };
    char msg[128];
    bd_emu_t *bd = bd_emu_create(&bc, msg, sizeof(msg));
    if (!bd) {
        fprintf(stderr, "bench_kv: %s\n", msg);
        exit(1);
    }
    struct lfs_config cfg = {
        .context = bd, .read = bd_emu_read, .prog = bd_emu_prog,
        .erase = bd_emu_erase, .sync = bd_emu_sync,
        .read_size = 16, .prog_size = 16, .block_size = 512, .block_count = 4096,
        .block_cycles = -1, .cache_size = 64, .lookahead_size = 64,
    };
    struct kv_config kc = {.lfs = &cfg};
    static kv_t kv;
    static uint8_t value[4096], back[4096];
    memset(value, 'v', sizeof(value));
    check(kv_format(&kv, &kc), "format");
    check(kv_mount(&kv, &kc), "mount");
    char key[32];
    for (int i = 0; i < keys; i++) {
        snprintf(key, sizeof(key), "d/k%04d", i);
        check(kv_set(&kv, key, "0123456789abcdef", 16), "fill");
    }
    bd_emu_reset_counters(bd);
    check(kv_set(&kv, "d/new", value, size), "set new");
    report(bd, "kv_set new", keys, size);
    check(kv_set(&kv, "d/new", value, size), "set over");
    report(bd, "kv_set over", keys, size);
    lfs_size_t len;
    check(kv_get(&kv, "d/new", back, sizeof(back), &len), "get");
    report(bd, "kv_get", keys, size);
    int n = 0;
    check(kv_list(&kv, "d", count_cb, &n), "list");
    report(bd, "kv_list", keys + 1, size);
    if (n != keys + 1 || len != size) {
        fprintf(stderr, "bench_kv: listed %d keys, got %u bytes\n", n, (unsigned)len);
        exit(1);
    }
    uint64_t total;
    check(kv_size(&kv, "d", &total), "size");
    report(bd, "kv_size dict", keys + 1, size);
    struct kv_time t;
    check(kv_last_modified(&kv, "d", &t), "last_modified");
    report(bd, "kv_last_mod", keys + 1, size);
    uint8_t digest[KV_DIGEST_SIZE];
    check(kv_digest(&kv, "d", digest), "digest");
    report(bd, "kv_digest dict", keys + 1, size);
    if (total != (uint64_t)keys * 16 + size) {
        fprintf(stderr, "bench_kv: size %llu\n", (unsigned long long)total);
        exit(1);
    }
    check(kv_unmount(&kv), "unmount");
    bd_emu_destroy(bd);
}

int main(void) {
    static const int keys[] = {10, 1000};
    static const unsigned sizes[] = {16, 4096};
    for (int k = 0; k < 2; k++) {
        for (int s = 0; s < 2; s++) {
            bench(keys[k], sizes[s]);
        }
    }
    return 0;
}
