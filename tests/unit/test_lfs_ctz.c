/*
 * test_lfs_ctz.c - CTZ skip-lists: the O(1) index arithmetic against a
 * brute-force layout, and a 1000-block file built by hand and scattered
 * over the device, read through the public API with seeks: right bytes,
 * O(log n) device reads per seek, and a traversal that visits each block
 * once.
 */
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* First file byte held by skip-list block n, by summing the layout. */
static uint64_t brute_start(lfs_size_t bs, uint32_t n) {
    uint64_t start = 0;
    for (uint32_t i = 0; i < n; i++) {
        start += i == 0 ? bs : bs - 4*(lfs_ctz(i) + 1);
    }
    return start;
}

static void test_index_brute_force(void **state) {
    (void)state;
    static const lfs_size_t sizes[] = {128, 512, 4096};
    static const uint32_t blocks[] = {3000, 1000, 200};
    for (size_t s = 0; s < 3; s++) {
        lfs_size_t bs = sizes[s];
        lfs_off_t pos = 0;
        for (uint32_t n = 0; n < blocks[s]; n++) {
            lfs_size_t ptrs = n == 0 ? 0 : 4*(lfs_ctz(n) + 1);
            for (lfs_off_t o = ptrs; o < bs; o++, pos++) {
                lfs_off_t off = pos;
                assert_int_equal(lfs_ctz_index(bs, &off), n);
                assert_int_equal(off, o);
            }
        }
    }
}

/* Far into a 2 GiB file, block boundaries by the closed form. */
static void test_index_large(void **state) {
    (void)state;
    static const lfs_size_t sizes[] = {128, 512, 4096};
    uint32_t seed = 99;
    for (size_t s = 0; s < 3; s++) {
        lfs_size_t bs = sizes[s];
        for (int k = 0; k < 20000; k++) {
            uint32_t n = 1 + test_prng(&seed) % (0x7fffffffu / bs);
            // bytes before block n: n*B - 4*(2(n-1) - popcount(n-1))
            uint64_t start = (uint64_t)n*bs
                    - 4*(2*(uint64_t)(n - 1) - lfs_popc(n - 1));
            if (start > 0x7fffffff) {
                continue;
            }
            lfs_off_t off = (lfs_off_t)start;
            assert_int_equal(lfs_ctz_index(bs, &off), n);
            assert_int_equal(off, 4*(lfs_ctz(n) + 1));
            off = (lfs_off_t)start - 1;
            assert_int_equal(lfs_ctz_index(bs, &off), n - 1);
            assert_int_equal(off, bs - 1);
        }
        // and the summation agrees with the closed form where both run
        for (uint32_t n = 1; n < 300; n++) {
            assert_int_equal(brute_start(bs, n), (uint64_t)n*bs
                    - 4*(2*(uint64_t)(n - 1) - lfs_popc(n - 1)));
        }
    }
}

#define BS 128
#define BC 1100
#define NBLOCKS 1000

static uint8_t content_at(lfs_off_t pos) {
    return (uint8_t)((pos * 2654435761u) >> 24);
}

struct ctzfs {
    uint8_t data[BS*BC];
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
    lfs_block_t perm[NBLOCKS];
    lfs_size_t size;
};

/* A filesystem whose root holds one skip-list file of NBLOCKS blocks,
 * the blocks scattered over the device. */
static struct ctzfs *build(void) {
    struct ctzfs *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    memset(f->data, 0xff, sizeof(f->data));
    uint32_t seed = 5;
    lfs_block_t pool[BC - 2];
    for (lfs_block_t b = 0; b < BC - 2; b++) {
        pool[b] = b + 2;
    }
    for (lfs_block_t b = BC - 3; b > 0; b--) {
        lfs_block_t j = test_prng(&seed) % (b + 1);
        lfs_block_t t = pool[b];
        pool[b] = pool[j];
        pool[j] = t;
    }
    memcpy(f->perm, pool, sizeof(f->perm));

    lfs_off_t pos = 0;
    for (uint32_t n = 0; n < NBLOCKS; n++) {
        uint8_t *p = f->data + (size_t)f->perm[n]*BS;
        lfs_off_t o = 0;
        if (n > 0) {
            for (uint32_t i = 0; i <= lfs_ctz(n); i++) {
                lfs_put_le32(p + 4*i, f->perm[n - (1u << i)]);
            }
            o = 4*(lfs_ctz(n) + 1);
        }
        // the last block is only partly used
        lfs_off_t end = n == NBLOCKS - 1 ? o + 37 : BS;
        for (; o < end; o++) {
            p[o] = content_at(pos++);
        }
    }
    f->size = pos;

    struct mbuilder m;
    mb_begin(&m, f->data, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    uint8_t raw[8];
    lfs_put_le32(raw, f->perm[NBLOCKS - 1]);
    lfs_put_le32(raw + 4, f->size);
    mb_tag(&m, mk(0x401, 1, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 1, "big");
    mb_tag(&m, mk(0x202, 1, 8), raw);
    mb_commit(&m, 0);

    f->bd.data = f->data;
    f->bd.block_size = BS;
    f->bd.block_count = BC;
    testbd_config(&f->cfg, &f->bd, 16, 16, 16);
    assert_int_equal(lfs_mount(&f->lfs, &f->cfg), 0);
    return f;
}

static void test_find(void **state) {
    (void)state;
    struct ctzfs *f = build();
    lfs_cache_t cache = {.buffer = malloc(16)};
    lfs_cache_drop(&cache);
    uint32_t seed = 11;
    for (int k = 0; k < 3000; k++) {
        lfs_off_t pos = test_prng(&seed) % f->size;
        lfs_block_t block;
        lfs_off_t off;
        unsigned long before = f->bd.reads;
        assert_int_equal(lfs_ctz_find(&f->lfs, &cache, f->perm[NBLOCKS - 1],
                f->size, pos, &block, &off), 0);
        // O(log n): at most two passes of log2(1000) < 10 jumps
        assert_true(f->bd.reads - before <= 20);
        lfs_off_t ioff = pos;
        uint32_t index = lfs_ctz_index(BS, &ioff);
        assert_int_equal(block, f->perm[index]);
        assert_int_equal(off, ioff);
        assert_int_equal(f->data[(size_t)block*BS + off], content_at(pos));
    }
    free(cache.buffer);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    assert_int_equal(f->bd.bad_requests, 0);
    free(f);
}

static void test_read_with_seeks(void **state) {
    (void)state;
    struct ctzfs *f = build();
    lfs_file_t file;
    assert_int_equal(lfs_file_open(&f->lfs, &file, "/big", LFS_O_RDONLY), 0);
    assert_int_equal(lfs_file_size(&f->lfs, &file), (lfs_soff_t)f->size);

    // sequentially, in odd chunks
    static uint8_t buf[1000];
    lfs_off_t pos = 0;
    uint32_t seed = 3;
    while (pos < f->size) {
        lfs_ssize_t n = lfs_file_read(&f->lfs, &file, buf,
                1 + test_prng(&seed) % sizeof(buf));
        assert_true(n > 0);
        for (lfs_ssize_t i = 0; i < n; i++) {
            assert_int_equal(buf[i], content_at(pos + (lfs_off_t)i));
        }
        pos += (lfs_off_t)n;
    }
    assert_int_equal(lfs_file_read(&f->lfs, &file, buf, 1), 0);

    // random seeks: each costs O(log n) device reads, not O(n)
    uint32_t worst = 0;
    for (int k = 0; k < 2000; k++) {
        lfs_off_t target = test_prng(&seed) % f->size;
        unsigned long before = f->bd.reads;
        assert_int_equal(lfs_file_seek(&f->lfs, &file, (lfs_soff_t)target,
                LFS_SEEK_SET), (lfs_soff_t)target);
        assert_int_equal(lfs_file_read(&f->lfs, &file, buf, 1), 1);
        worst = lfs_max(worst, (uint32_t)(f->bd.reads - before));
        assert_int_equal(buf[0], content_at(target));
    }
    // from the head to any block: up to 2*log2(n) jumps, then the data
    assert_true(worst <= 2*lfs_npw2(NBLOCKS) + 1);
    assert_int_equal(lfs_file_close(&f->lfs, &file), 0);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    assert_int_equal(f->bd.bad_requests, 0);
    free(f);
}

static int mark(void *data, lfs_block_t block) {
    uint8_t *seen = data;
    assert_true(block < BC);
    seen[block] += 1;
    return 0;
}

static void test_traverse_once(void **state) {
    (void)state;
    struct ctzfs *f = build();
    static uint8_t seen[BC];
    memset(seen, 0, sizeof(seen));
    assert_int_equal(lfs_fs_traverse(&f->lfs, mark, seen), 0);
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    for (uint32_t n = 0; n < NBLOCKS; n++) {
        assert_int_equal(seen[f->perm[n]], 1);
    }
    assert_int_equal(lfs_fs_size(&f->lfs), NBLOCKS + 2);
    assert_int_equal(lfs_unmount(&f->lfs), 0);
    free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_brute_force),
        cmocka_unit_test(test_index_large),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_read_with_seeks),
        cmocka_unit_test(test_traverse_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
