/*
 * test_lfs_crc.c - the CRC-32 commits are checked with: the standard
 * check value, incremental use, and every commit (and FCRC) of every
 * metadata block in the golden images, so lfs_crc is verified against
 * what littlefs itself wrote.
 */
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void test_check_value(void **state) {
    (void)state;
    // CRC-32 (poly 0x04c11db7 reflected, init ~0) of "123456789" is
    // 0xcbf43926 after the final inversion, which littlefs does not apply
    assert_int_equal(lfs_crc(0xffffffff, "123456789", 9), ~0xcbf43926u);
    assert_int_equal(lfs_crc(0xffffffff, "", 0), 0xffffffff);
    assert_int_equal(lfs_crc(0x12345678, "", 0), 0x12345678);
    const uint8_t zero[4] = {0};
    assert_int_equal(lfs_crc(0xffffffff, zero, 4), ~0x2144df1cu);
}

static void test_incremental(void **state) {
    (void)state;
    uint8_t data[300];
    uint32_t seed = 7;
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)test_prng(&seed);
    }
    uint32_t whole = lfs_crc(0xffffffff, data, sizeof(data));
    for (size_t split = 0; split <= sizeof(data); split += 7) {
        uint32_t crc = lfs_crc(0xffffffff, data, split);
        crc = lfs_crc(crc, data + split, sizeof(data) - split);
        assert_int_equal(crc, whole);
    }
    data[100] ^= 0x10;
    assert_int_not_equal(lfs_crc(0xffffffff, data, sizeof(data)), whole);
}

struct golden {
    const char *name;
    lfs_size_t block_size;
    bool v21;
};

/* Walk every commit of a block, checking each CRC; returns the number of
 * valid commits and counts FCRCs checked against still-erased bytes. */
static int check_block(const uint8_t *p, lfs_size_t bs, int *fcrcs,
        int *fcrcs_checked) {
    lfs_off_t off = 4;
    lfs_tag_t ptag = 0xffffffff;
    uint32_t crc = lfs_crc(0xffffffff, p, 4);
    int commits = 0;
    bool hasfcrc = false;
    uint32_t fsize = 0, fcrc = 0;
    while (off + 4 <= bs) {
        lfs_tag_t tag = lfs_get_be32(p + off) ^ ptag;
        if (!lfs_tag_isvalid(tag) || off + lfs_tag_dsize(tag) > bs) {
            break;
        }
        crc = lfs_crc(crc, p + off, 4);
        if (lfs_tag_iscrc(tag)) {
            if (lfs_get_le32(p + off + 4) != crc) {
                break;
            }
            commits += 1;
            ptag = tag ^ ((lfs_tag_chunk(tag) & 1u) << 31);
            off += lfs_tag_dsize(tag);
            crc = 0xffffffff;
            if (hasfcrc && fsize <= bs - off) {
                // still erased after this commit: the FCRC must match
                bool erased = true;
                for (lfs_size_t i = 0; i < fsize; i++) {
                    erased &= p[off + i] == 0xff;
                }
                if (erased) {
                    assert_int_equal(lfs_crc(0xffffffff, p + off, fsize),
                            fcrc);
                    *fcrcs_checked += 1;
                }
            }
            hasfcrc = false;
            continue;
        }
        if (lfs_tag_type3(tag) == LFS_TYPE_FCRC) {
            *fcrcs += 1;
            hasfcrc = true;
            fsize = lfs_get_le32(p + off + 4);
            fcrc = lfs_get_le32(p + off + 8);
        }
        crc = lfs_crc(crc, p + off + 4, lfs_tag_datasize(tag));
        ptag = tag;
        off += lfs_tag_dsize(tag);
    }
    return commits;
}

static void test_golden_commits(void **state) {
    (void)state;
    static const struct golden images[] = {
        {"basic-512", 512, true}, {"basic-nor4k", 4096, true},
        {"basic-v20", 512, false}, {"churn-512", 512, true},
        {"cutrename-512", 512, true}, {"many-512", 512, true},
    };
    for (size_t i = 0; i < sizeof(images)/sizeof(images[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.img", images[i].name);
        size_t size = 0;
        uint8_t *img = test_readfile(name, &size);
        assert_non_null(img);
        lfs_size_t bs = images[i].block_size;
        int commits = 0, fcrcs = 0, fcrcs_checked = 0;
        for (size_t b = 0; b < size / bs; b++) {
            commits += check_block(img + b*bs, bs, &fcrcs, &fcrcs_checked);
        }
        // both superblock blocks hold valid commits
        assert_true(check_block(img, bs, &fcrcs, &fcrcs_checked) > 0);
        assert_true(check_block(img + bs, bs, &fcrcs, &fcrcs_checked) > 0);
        assert_true(commits >= 2);
        if (images[i].v21) {
            assert_true(fcrcs > 0);
            assert_true(fcrcs_checked > 0);
        } else {
            assert_int_equal(fcrcs, 0);
        }
        free(img);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_golden_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
