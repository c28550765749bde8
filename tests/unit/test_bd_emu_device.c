/*
 * test_bd_emu_device.c - bd_emu basics: configuration checks, flash
 * semantics per erase value and prog mode, argument validation, counters,
 * the lfs_config callbacks and the trace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "bd_emu.h"

static struct bd_emu_config base_cfg(void)
{
    struct bd_emu_config cfg = {
        .read_size = 16, .prog_size = 16, .block_size = 512, .block_count = 64,
        .erase_value = 0xff, .prog_mode = BD_EMU_PROG_STRICT, .seed = 1,
    };
    return cfg;
}

static bd_emu_t *make(struct bd_emu_config cfg)
{
    char err[200] = "";
    bd_emu_t *bd = bd_emu_create(&cfg, err, sizeof err);
    if (!bd) {
        fail_msg("create failed: %s", err);
    }
    return bd;
}

static void fill(uint8_t *buf, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(start + i * 7);
    }
}

/* ---- configuration ---- */

static void expect_refused(struct bd_emu_config cfg, const char *needle)
{
    char err[200] = "";
    assert_null(bd_emu_create(&cfg, err, sizeof err));
    if (!strstr(err, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
    }
}

static void test_bad_geometry_refused(void **state)
{
    (void)state;
    struct bd_emu_config c;
    c = base_cfg(); c.read_size = 0;   expect_refused(c, "nonzero");
    c = base_cfg(); c.prog_size = 0;   expect_refused(c, "nonzero");
    c = base_cfg(); c.block_size = 0;  expect_refused(c, "nonzero");
    c = base_cfg(); c.block_count = 0; expect_refused(c, "block_count");
    c = base_cfg(); c.read_size = 24;  expect_refused(c, "not a multiple of read_size 24");
    c = base_cfg(); c.prog_size = 48;  expect_refused(c, "not a multiple of prog_size 48");
    c = base_cfg(); c.erase_value = 0x7f; expect_refused(c, "erase_value");
    c = base_cfg(); c.erase_value = -2;   expect_refused(c, "erase_value");
    c = base_cfg(); c.prog_mode = (enum bd_emu_prog_mode)7; expect_refused(c, "prog_mode");
    c = base_cfg(); c.bad_behavior = (enum bd_emu_bad_behavior)9; expect_refused(c, "bad_behavior");

    char err[100] = "";
    assert_null(bd_emu_create(NULL, err, sizeof err));
    assert_non_null(strstr(err, "no configuration"));
    /* no error buffer: still refused, no crash */
    c = base_cfg(); c.block_count = 0;
    assert_null(bd_emu_create(&c, NULL, 0));
}

static void test_odd_geometry_accepted(void **state)
{
    (void)state;
    struct bd_emu_config c = base_cfg();
    c.read_size = 1; c.prog_size = 5; c.block_size = 105; c.block_count = 3;
    bd_emu_t *bd = make(c);
    uint8_t buf[105], out[105];
    fill(buf, sizeof buf, 3);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 100, buf, 5), 0);
    assert_int_equal(bd_emu_dev_read(bd, 2, 100, out, 5), 0);
    assert_memory_equal(out, buf, 5);
    assert_int_equal(bd_emu_geometry(bd)->block_size, 105);
    bd_emu_destroy(bd);
}

static void test_huge_geometry(void **state)
{
    (void)state;
    /* 2^32 - 1 blocks: the deepest tree; sparse, so cheap */
    struct bd_emu_config c = base_cfg();
    c.read_size = 4; c.prog_size = 4; c.block_size = 16; c.block_count = UINT32_MAX;
    bd_emu_t *bd = make(c);
    assert_true(bd_emu_memory(bd) < 1024 * 1024);
    uint8_t data[16], out[16];
    fill(data, 16, 40);
    uint32_t blocks[] = { 0, 1u << 31, UINT32_MAX - 1, 123456789 };
    for (int i = 0; i < 4; i++) {
        data[0] = (uint8_t)i;
        assert_int_equal(bd_emu_dev_prog(bd, blocks[i], 0, data, 16), 0);
    }
    for (int i = 0; i < 4; i++) {
        data[0] = (uint8_t)i;
        assert_int_equal(bd_emu_dev_read(bd, blocks[i], 0, out, 16), 0);
        assert_memory_equal(out, data, 16);
    }
    assert_int_equal(bd_emu_dev_read(bd, 5, 0, out, 16), 0);
    assert_int_equal(out[0], 0xff);
    assert_int_equal(bd_emu_dev_read(bd, UINT32_MAX, 0, out, 16), LFS_ERR_INVAL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(bd_emu_dev_erase(bd, blocks[i]), 0);
    }
    assert_int_equal(bd_emu_hash(bd), 0);
    assert_int_equal(bd_emu_wear(bd, UINT32_MAX - 1), 1);
    bd_emu_destroy(bd);
}

/* ---- flash semantics ---- */

static void test_fresh_device_reads_erased(void **state)
{
    (void)state;
    int values[] = { 0xff, 0x00 };
    for (int v = 0; v < 2; v++) {
        struct bd_emu_config c = base_cfg();
        c.erase_value = values[v];
        bd_emu_t *bd = make(c);
        uint8_t buf[512], want[512];
        memset(want, values[v], sizeof want);
        for (uint32_t b = 0; b < 64; b += 21) {
            assert_int_equal(bd_emu_dev_read(bd, b, 0, buf, 512), 0);
            assert_memory_equal(buf, want, 512);
        }
        bd_emu_destroy(bd);
    }
}

static void test_strict_prog_and_violation(void **state)
{
    (void)state;
    bd_emu_t *bd = make(base_cfg());
    uint8_t data[32], out[32];
    fill(data, 32, 9);
    assert_int_equal(bd_emu_dev_prog(bd, 5, 32, data, 32), 0);
    assert_int_equal(bd_emu_dev_read(bd, 5, 32, out, 32), 0);
    assert_memory_equal(out, data, 32);
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.prog_violations, 0);

    /* prog again onto programmed bytes: recorded, written as given */
    uint8_t again[16];
    memset(again, 0xa5, sizeof again);
    assert_int_equal(bd_emu_dev_prog(bd, 5, 48, again, 16), 0);
    bd_emu_counters(bd, &k);
    assert_int_equal(k.prog_violations, 1);
    assert_int_equal(bd_emu_dev_read(bd, 5, 48, out, 16), 0);
    assert_memory_equal(out, again, 16);

    /* after an erase the same prog is fine */
    assert_int_equal(bd_emu_dev_erase(bd, 5), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 5, 48, again, 16), 0);
    bd_emu_counters(bd, &k);
    assert_int_equal(k.prog_violations, 1);
    bd_emu_destroy(bd);
}

static void test_strict_violation_erase_zero(void **state)
{
    (void)state;
    struct bd_emu_config c = base_cfg();
    c.erase_value = 0x00;
    bd_emu_t *bd = make(c);
    uint8_t data[16] = { 0 }, out[16];
    data[3] = 0x10;
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, data, 16), 0);
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.prog_violations, 0);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, data, 16), 0);
    bd_emu_counters(bd, &k);
    assert_int_equal(k.prog_violations, 1);
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, out, 16), 0);
    assert_memory_equal(out, data, 16);
    bd_emu_destroy(bd);
}

static void test_mask_mode(void **state)
{
    (void)state;
    int values[] = { 0xff, 0x00 };
    for (int v = 0; v < 2; v++) {
        struct bd_emu_config c = base_cfg();
        c.erase_value = values[v];
        c.prog_mode = BD_EMU_PROG_MASK;
        bd_emu_t *bd = make(c);
        uint8_t a[16], b[16], out[16];
        fill(a, 16, 0x31);
        fill(b, 16, 0x9c);
        assert_int_equal(bd_emu_dev_prog(bd, 1, 16, a, 16), 0);
        assert_int_equal(bd_emu_dev_prog(bd, 1, 16, b, 16), 0);
        assert_int_equal(bd_emu_dev_read(bd, 1, 16, out, 16), 0);
        for (int i = 0; i < 16; i++) {
            uint8_t want = values[v] == 0xff ? (uint8_t)(a[i] & b[i]) : (uint8_t)(a[i] | b[i]);
            assert_int_equal(out[i], want);
        }
        struct bd_emu_counters k;
        bd_emu_counters(bd, &k);
        assert_int_equal(k.prog_violations, 0);
        bd_emu_destroy(bd);
    }
}

static void test_erase_none(void **state)
{
    (void)state;
    struct bd_emu_config c = base_cfg();
    c.erase_value = BD_EMU_ERASE_NONE;
    c.prog_mode = BD_EMU_PROG_MASK;
    c.seed = 77;
    bd_emu_t *a = make(c), *b = make(c);
    c.seed = 78;
    bd_emu_t *other = make(c);

    uint8_t x[512], y[512], z[512];
    /* never-touched blocks: seeded baseline, same for same seed */
    assert_int_equal(bd_emu_dev_read(a, 9, 0, x, 512), 0);
    assert_int_equal(bd_emu_dev_read(b, 9, 0, y, 512), 0);
    assert_int_equal(bd_emu_dev_read(other, 9, 0, z, 512), 0);
    assert_memory_equal(x, y, 512);
    assert_memory_not_equal(x, z, 512);
    /* blocks differ from one another */
    assert_int_equal(bd_emu_dev_read(a, 10, 0, y, 512), 0);
    assert_memory_not_equal(x, y, 512);
    /* a part read agrees with the whole */
    assert_int_equal(bd_emu_dev_read(a, 9, 48, y, 32), 0);
    assert_memory_equal(y, x + 48, 32);
    assert_int_equal(bd_emu_hash(a), 0);

    /* erase: new content, deterministic from the seed, not the baseline */
    assert_int_equal(bd_emu_dev_erase(a, 9), 0);
    assert_int_equal(bd_emu_dev_erase(b, 9), 0);
    assert_int_equal(bd_emu_dev_read(a, 9, 0, y, 512), 0);
    assert_int_equal(bd_emu_dev_read(b, 9, 0, z, 512), 0);
    assert_memory_equal(y, z, 512);
    assert_memory_not_equal(x, y, 512);
    /* a second erase differs again */
    assert_int_equal(bd_emu_dev_erase(a, 9), 0);
    assert_int_equal(bd_emu_dev_read(a, 9, 0, z, 512), 0);
    assert_memory_not_equal(y, z, 512);

    /* prog overwrites even in mask mode, and records no violation */
    uint8_t d[16];
    fill(d, 16, 5);
    assert_int_equal(bd_emu_dev_prog(a, 9, 0, d, 16), 0);
    assert_int_equal(bd_emu_dev_prog(a, 9, 0, d, 16), 0);
    assert_int_equal(bd_emu_dev_read(a, 9, 0, z, 16), 0);
    assert_memory_equal(z, d, 16);
    struct bd_emu_counters k;
    bd_emu_counters(a, &k);
    assert_int_equal(k.prog_violations, 0);

    bd_emu_destroy(a);
    bd_emu_destroy(b);
    bd_emu_destroy(other);
}

/* ---- validation ---- */

static void test_misaligned_and_out_of_range(void **state)
{
    (void)state;
    bd_emu_t *bd = make(base_cfg());
    uint8_t buf[1024];
    memset(buf, 0x11, sizeof buf);
    uint64_t h = bd_emu_hash(bd);
    struct { uint32_t block, off, size; } bad[] = {
        { 0, 1, 16 },       /* misaligned offset */
        { 0, 0, 15 },       /* size not a multiple */
        { 0, 0, 0 },        /* empty */
        { 0, 496, 32 },     /* crosses the block end */
        { 0, 512, 16 },     /* starts at the end */
        { 0, 0, 1024 },     /* larger than a block */
        { 64, 0, 16 },      /* block out of range */
        { UINT32_MAX, 0, 16 },
        { 0, UINT32_MAX - 15, 16 }, /* offset + size overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bd_emu_dev_read(bd, bad[i].block, bad[i].off, buf, bad[i].size),
                LFS_ERR_INVAL);
        assert_int_equal(bd_emu_dev_prog(bd, bad[i].block, bad[i].off, buf, bad[i].size),
                LFS_ERR_INVAL);
    }
    assert_int_equal(bd_emu_dev_read(bd, 0, 0, NULL, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_dev_prog(bd, 0, 0, NULL, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_dev_erase(bd, 64), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_peek(bd, 64, 0, buf, 1), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_peek(bd, 0, 500, buf, 13), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_dev_read(NULL, 0, 0, buf, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_read(NULL, 0, 0, buf, 16), LFS_ERR_INVAL);

    /* nothing counted, nothing changed */
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.reads + k.progs + k.erases + k.syncs, 0);
    assert_int_equal(bd_emu_write_ops(bd), 0);
    assert_int_equal(bd_emu_hash(bd), h);
    assert_int_equal(bd_emu_block_progs(bd, 0), 0);
    bd_emu_destroy(bd);
}

/* ---- counters ---- */

static void test_counters_exact(void **state)
{
    (void)state;
    bd_emu_t *bd = make(base_cfg());
    uint8_t buf[512];
    memset(buf, 0, sizeof buf);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bd_emu_dev_read(bd, 2, 0, buf, 64), 0);
    }
    assert_int_equal(bd_emu_dev_read(bd, 7, 16, buf, 16), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 0, buf, 128), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 2, 128, buf, 32), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 3, 0, buf, 16), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 2), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 2), 0);
    assert_int_equal(bd_emu_dev_erase(bd, 9), 0);
    assert_int_equal(bd_emu_dev_sync(bd), 0);

    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.reads, 4);
    assert_int_equal(k.bytes_read, 3 * 64 + 16);
    assert_int_equal(k.progs, 3);
    assert_int_equal(k.bytes_progged, 128 + 32 + 16);
    assert_int_equal(k.erases, 3);
    assert_int_equal(k.bytes_erased, 3 * 512);
    assert_int_equal(k.syncs, 1);
    assert_int_equal(bd_emu_write_ops(bd), 3 + 3 + 1);
    assert_int_equal(bd_emu_block_reads(bd, 2), 3);
    assert_int_equal(bd_emu_block_reads(bd, 7), 1);
    assert_int_equal(bd_emu_block_reads(bd, 3), 0);
    assert_int_equal(bd_emu_block_progs(bd, 2), 2);
    assert_int_equal(bd_emu_block_progs(bd, 3), 1);
    assert_int_equal(bd_emu_wear(bd, 2), 2);
    assert_int_equal(bd_emu_wear(bd, 9), 1);
    assert_int_equal(bd_emu_wear(bd, 3), 0);
    assert_int_equal(bd_emu_wear(bd, 999), 0);

    bd_emu_reset_counters(bd);
    bd_emu_counters(bd, &k);
    assert_int_equal(k.reads + k.progs + k.erases + k.syncs + k.bytes_read
            + k.bytes_progged + k.bytes_erased + k.prog_violations, 0);
    assert_int_equal(bd_emu_block_reads(bd, 2), 0);
    assert_int_equal(bd_emu_block_progs(bd, 2), 0);
    /* wear and write_ops are lifetime state */
    assert_int_equal(bd_emu_wear(bd, 2), 2);
    assert_int_equal(bd_emu_write_ops(bd), 7);

    assert_int_equal(bd_emu_set_wear(bd, 4, 1000), 0);
    assert_int_equal(bd_emu_wear(bd, 4), 1000);
    assert_int_equal(bd_emu_set_wear(bd, 64, 1), LFS_ERR_INVAL);
    bd_emu_destroy(bd);
}

/* ---- lfs_config callbacks and peek ---- */

static void test_lfs_config_callbacks(void **state)
{
    (void)state;
    bd_emu_t *bd = make(base_cfg());
    struct lfs_config cfg = {
        .context = bd, .read = bd_emu_read, .prog = bd_emu_prog,
        .erase = bd_emu_erase, .sync = bd_emu_sync,
        .read_size = 16, .prog_size = 16, .block_size = 512, .block_count = 64,
    };
    uint8_t data[64], out[64];
    fill(data, 64, 1);
    assert_int_equal(cfg.erase(&cfg, 4), 0);
    assert_int_equal(cfg.prog(&cfg, 4, 64, data, 64), 0);
    assert_int_equal(cfg.sync(&cfg), 0);
    assert_int_equal(cfg.read(&cfg, 4, 64, out, 64), 0);
    assert_memory_equal(out, data, 64);
    memset(out, 0, sizeof out);
    assert_int_equal(bd_emu_peek(bd, 4, 65, out, 3), 0);
    assert_memory_equal(out, data + 1, 3);
    struct bd_emu_counters k;
    bd_emu_counters(bd, &k);
    assert_int_equal(k.reads, 1);   /* peek does not count */
    assert_int_equal(k.syncs, 1);
    bd_emu_destroy(bd);
}

/* ---- trace ---- */

struct trace_log {
    int n;
    struct bd_emu_trace_event ev[16];
};

static void record(void *ctx, const struct bd_emu_trace_event *ev)
{
    struct trace_log *log = ctx;
    if (log->n < 16) {
        log->ev[log->n++] = *ev;
    }
}

static void test_trace(void **state)
{
    (void)state;
    bd_emu_t *bd = make(base_cfg());
    struct trace_log log = { 0 };
    FILE *f = tmpfile();
    assert_non_null(f);
    bd_emu_set_trace(bd, record, &log);
    bd_emu_set_trace_file(bd, f);
    uint8_t buf[32] = { 0 };
    assert_int_equal(bd_emu_dev_erase(bd, 3), 0);
    assert_int_equal(bd_emu_dev_prog(bd, 3, 256, buf, 32), 0);
    assert_int_equal(bd_emu_dev_read(bd, 3, 1, buf, 16), LFS_ERR_INVAL);
    assert_int_equal(bd_emu_dev_sync(bd), 0);
    assert_int_equal(bd_emu_dev_read(bd, 3, 256, buf, 32), 0);
    bd_emu_set_trace(bd, NULL, NULL);
    bd_emu_set_trace_file(bd, NULL);
    assert_int_equal(bd_emu_dev_read(bd, 3, 256, buf, 32), 0);

    assert_int_equal(log.n, 5);
    assert_int_equal(log.ev[0].op, BD_EMU_OP_ERASE);
    assert_int_equal(log.ev[0].size, 512);
    assert_int_equal(log.ev[1].op, BD_EMU_OP_PROG);
    assert_int_equal(log.ev[1].block, 3);
    assert_int_equal(log.ev[1].off, 256);
    assert_int_equal(log.ev[2].result, LFS_ERR_INVAL);
    assert_int_equal(log.ev[3].op, BD_EMU_OP_SYNC);
    assert_int_equal(log.ev[4].op, BD_EMU_OP_READ);

    rewind(f);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    assert_string_equal(text,
            "erase 3 0 512 0\n"
            "prog 3 256 32 0\n"
            "read 3 1 16 -22\n"
            "sync 0 0 0 0\n"
            "read 3 256 32 0\n");
    fclose(f);
    bd_emu_destroy(bd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_geometry_refused),
        cmocka_unit_test(test_odd_geometry_accepted),
        cmocka_unit_test(test_huge_geometry),
        cmocka_unit_test(test_fresh_device_reads_erased),
        cmocka_unit_test(test_strict_prog_and_violation),
        cmocka_unit_test(test_strict_violation_erase_zero),
        cmocka_unit_test(test_mask_mode),
        cmocka_unit_test(test_erase_none),
        cmocka_unit_test(test_misaligned_and_out_of_range),
        cmocka_unit_test(test_counters_exact),
        cmocka_unit_test(test_lfs_config_callbacks),
        cmocka_unit_test(test_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
