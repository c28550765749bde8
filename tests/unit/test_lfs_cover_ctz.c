/*
 * test_lfs_cover_ctz.c - the bound on a skip-list's length, at the edge:
 * a hand-built image holds one CTZ file whose size puts its last block at
 * index block_count - 1 (possible on this disk) or block_count (more
 * blocks than the disk has: LFS_ERR_CORRUPT from open and from a
 * traversal). Kills the ctz_check_bound mutant. Assumes the metadata
 * builder of test_lfs_bd.h and a read-only in-memory device.
 */
#define TEST_LFS_MBUILDER
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define BS 512
#define BC 16
#define HEAD 5

/* Size of a file whose last byte is the first data byte of skip-list block n
 * (n >= 1): blocks 0..n-1 hold n*BS - 4*(2*(n-1) - popcount(n-1)). */
static lfs_size_t size_ending_in(uint32_t n) {
    return n*BS - 4*(2*(n - 1) - lfs_popc(n - 1)) + 1;
}

struct image {
    uint8_t data[BS*BC];
    struct testbd bd;
    struct lfs_config cfg;
    lfs_t lfs;
};

/* Superblock pair {0,1} with the file "f" (head HEAD, `size` bytes); the
 * head's pointers all lead to block 2, which holds data only. */
static void build(struct image *im, lfs_size_t size) {
    memset(im->data, 0xff, sizeof(im->data));
    for (lfs_off_t o = 0; o + 4 <= BS; o += 4) {
        lfs_put_le32(im->data + HEAD*BS + o, 2);
    }
    struct mbuilder m;
    mb_begin(&m, im->data, BS, 16, 1);
    mb_superblock(&m, 0x00020001, BS, BC, 0, 0, 0);
    uint8_t raw[8];
    lfs_put_le32(raw, HEAD);
    lfs_put_le32(raw + 4, size);
    mb_tag(&m, mk(0x401, 1, 0), NULL);
    mb_name(&m, LFS_TYPE_REG, 1, "f");
    mb_tag(&m, mk(0x202, 1, 8), raw);
    mb_commit(&m, 0);
    im->bd.data = im->data;
    im->bd.block_size = BS;
    im->bd.block_count = BC;
    testbd_config(&im->cfg, &im->bd, 16, 16, 16);
}

static void test_last_index_bound(void **state) {
    (void)state;
    static struct image im;
    for (uint32_t n = BC - 1; n <= BC; n++) {
        lfs_size_t size = size_ending_in(n);
        lfs_off_t last = size - 1;
        assert_int_equal(lfs_ctz_index(BS, &last), n);
        assert_int_equal(last, 4*(lfs_ctz(n) + 1));  // after its pointers

        build(&im, size);
        assert_int_equal(lfs_mount(&im.lfs, &im.cfg), 0);
        struct lfs_info info;
        assert_int_equal(lfs_stat(&im.lfs, "f", &info), 0);
        assert_int_equal(info.size, size);
        lfs_file_t f;
        int err = lfs_file_open(&im.lfs, &f, "f", LFS_O_RDONLY);
        if (n < BC) {
            // as many blocks as the disk has: not provably wrong
            assert_int_equal(err, 0);
            assert_int_equal(lfs_file_close(&im.lfs, &f), 0);
        } else {
            assert_int_equal(err, LFS_ERR_CORRUPT);
            assert_int_equal(lfs_fs_size(&im.lfs), LFS_ERR_CORRUPT);
        }
        assert_int_equal(lfs_unmount(&im.lfs), 0);
        assert_int_equal(im.bd.bad_requests, 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_index_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
