/*
 * test_lfs_tag.c - metadata tag decoding: the field layout, deleted tags,
 * splices, CRC/FCRC types, id shifts, byte order, and undoing the xor
 * chain on tags as the golden images store them.
 */
#include "test_lfs_bd.h"
#include "lfs_internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void test_fields(void **state) {
    (void)state;
    lfs_tag_t t = lfs_mktag(LFS_TYPE_INLINESTRUCT, 5, 24);
    assert_int_equal(t, 0x20101418);
    assert_true(lfs_tag_isvalid(t));
    assert_false(lfs_tag_isdelete(t));
    assert_int_equal(lfs_tag_type1(t), LFS_TYPE_STRUCT);
    assert_int_equal(lfs_tag_type3(t), LFS_TYPE_INLINESTRUCT);
    assert_int_equal(lfs_tag_chunk(t), 0x01);
    assert_int_equal(lfs_tag_id(t), 5);
    assert_int_equal(lfs_tag_size(t), 24);
    assert_int_equal(lfs_tag_datasize(t), 24);
    assert_int_equal(lfs_tag_dsize(t), 28);
    assert_false(lfs_tag_iscrc(t));

    // the valid bit is the top bit, set means invalid
    assert_false(lfs_tag_isvalid(t | 0x80000000u));
    assert_false(lfs_tag_isvalid(0xffffffff));

    // names: chunk is the entry type
    t = lfs_mktag(LFS_TYPE_DIR, 0x3fe, 255);
    assert_int_equal(lfs_tag_type1(t), LFS_TYPE_NAME);
    assert_int_equal(lfs_tag_chunk(t), LFS_TYPE_DIR);
    assert_int_equal(lfs_tag_id(t), 0x3fe);
    assert_int_equal(lfs_tag_size(t), 255);

    // user attributes: chunk is the attribute type
    t = lfs_mktag(LFS_TYPE_USERATTR + 0x7f, 0, 4);
    assert_int_equal(lfs_tag_type1(t), LFS_TYPE_USERATTR);
    assert_int_equal(lfs_tag_chunk(t), 0x7f);
}

static void test_deleted_tags(void **state) {
    (void)state;
    lfs_tag_t t = lfs_mktag(LFS_TYPE_USERATTR + 3, 7, 0x3ff);
    assert_true(lfs_tag_isdelete(t));
    assert_int_equal(lfs_tag_datasize(t), 0);
    assert_int_equal(lfs_tag_dsize(t), 4);
    assert_int_equal(lfs_tag_id(t), 7);
    t = lfs_mktag(LFS_TYPE_USERATTR + 3, 7, 0x3fe);
    assert_false(lfs_tag_isdelete(t));
    assert_int_equal(lfs_tag_dsize(t), 4 + 0x3fe);
}

static void test_splices(void **state) {
    (void)state;
    lfs_tag_t create = lfs_mktag(LFS_TYPE_CREATE, 3, 0);
    lfs_tag_t delete = lfs_mktag(LFS_TYPE_DELETE, 3, 0);
    assert_int_equal(lfs_tag_type1(create), LFS_TYPE_SPLICE);
    assert_int_equal(lfs_tag_type1(delete), LFS_TYPE_SPLICE);
    assert_int_equal(lfs_tag_splice(create), 1);
    assert_int_equal(lfs_tag_splice(delete), -1);
    assert_int_equal(lfs_tag_splice(lfs_mktag(0x47f, 0, 0)), 127);
    assert_int_equal(lfs_tag_splice(lfs_mktag(0x480, 0, 0)), -128);

    lfs_tag_t t = lfs_mktag(LFS_TYPE_REG, 5, 3);
    assert_int_equal(lfs_tag_shift(t, -1), lfs_mktag(LFS_TYPE_REG, 4, 3));
    assert_int_equal(lfs_tag_shift(t, 2), lfs_mktag(LFS_TYPE_REG, 7, 3));
    assert_int_equal(lfs_tag_shift(lfs_tag_shift(t, -5), 5), t);
}

static void test_crc_types(void **state) {
    (void)state;
    assert_true(lfs_tag_iscrc(lfs_mktag(0x500, 0x3ff, 12)));
    assert_true(lfs_tag_iscrc(lfs_mktag(0x501, 0x3ff, 12)));
    assert_true(lfs_tag_iscrc(lfs_mktag(0x57f, 0x3ff, 12)));
    assert_false(lfs_tag_iscrc(lfs_mktag(LFS_TYPE_FCRC, 0x3ff, 8)));
    assert_false(lfs_tag_iscrc(lfs_mktag(LFS_TYPE_HARDTAIL, 0x3ff, 8)));
    assert_false(lfs_tag_iscrc(lfs_mktag(LFS_TYPE_MOVESTATE, 0x3ff, 12)));
}

static void test_byte_order(void **state) {
    (void)state;
    const uint8_t raw[4] = {0x12, 0x34, 0x56, 0x78};
    assert_int_equal(lfs_get_be32(raw), 0x12345678);
    assert_int_equal(lfs_get_le32(raw), 0x78563412);
    uint8_t out[4];
    lfs_put_be32(out, 0xa1b2c3d4);
    assert_int_equal(out[0], 0xa1);
    assert_int_equal(out[3], 0xd4);
    lfs_put_le32(out, 0xa1b2c3d4);
    assert_int_equal(out[0], 0xd4);
    assert_int_equal(out[3], 0xa1);
}

/* The first tags of basic-512's superblock block, as stored. */
static void test_chain_literal(void **state) {
    (void)state;
    const uint8_t block0[] = {
        0x02, 0x00, 0x00, 0x00,                         /* revision */
        0xf0, 0x0f, 0xff, 0xf7,                         /* tag ^ ~0 */
        'l', 'i', 't', 't', 'l', 'e', 'f', 's',
        0x2f, 0xe0, 0x00, 0x10,                         /* tag ^ prev */
    };
    lfs_tag_t ptag = 0xffffffff;
    lfs_tag_t tag = lfs_get_be32(&block0[4]) ^ ptag;
    assert_int_equal(tag, lfs_mktag(LFS_TYPE_SUPERBLOCK, 0, 8));
    ptag = tag;
    tag = lfs_get_be32(&block0[4 + lfs_tag_dsize(ptag)]) ^ ptag;
    assert_int_equal(tag, lfs_mktag(LFS_TYPE_INLINESTRUCT, 0, 24));
}

/* Every golden image: the log of each superblock block decodes into
 * well-formed tags, superblock first, closed by CRC tags. */
static void test_chain_golden(void **state) {
    (void)state;
    static const char *const images[] = {"basic-512", "basic-nor4k",
            "basic-v20", "churn-512", "cutrename-512", "many-512"};
    static const lfs_size_t block_sizes[] = {512, 4096, 512, 512, 512, 512};
    for (size_t i = 0; i < sizeof(images)/sizeof(images[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.img", images[i]);
        size_t size;
        uint8_t *img = test_readfile(name, &size);
        assert_non_null(img);
        lfs_size_t bs = block_sizes[i];
        for (int b = 0; b < 2; b++) {
            const uint8_t *p = img + (size_t)b*bs;
            lfs_off_t off = 4;
            lfs_tag_t ptag = 0xffffffff;
            int tags = 0, crcs = 0;
            while (off + 4 <= bs) {
                lfs_tag_t tag = lfs_get_be32(p + off) ^ ptag;
                if (!lfs_tag_isvalid(tag)) {
                    break;
                }
                assert_true(off + lfs_tag_dsize(tag) <= bs);
                if (tags == 0) {
                    assert_int_equal(tag,
                            lfs_mktag(LFS_TYPE_SUPERBLOCK, 0, 8));
                    assert_memory_equal(p + off + 4, "littlefs", 8);
                }
                if (lfs_tag_iscrc(tag)) {
                    assert_int_equal(lfs_tag_id(tag), LFS_ID_NONE);
                    crcs += 1;
                    ptag = tag ^ ((lfs_tag_chunk(tag) & 1u) << 31);
                } else {
                    ptag = tag;
                }
                tags += 1;
                off += lfs_tag_dsize(tag);
            }
            assert_true(crcs >= 1);
        }
        free(img);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_deleted_tags),
        cmocka_unit_test(test_splices),
        cmocka_unit_test(test_crc_types),
        cmocka_unit_test(test_byte_order),
        cmocka_unit_test(test_chain_literal),
        cmocka_unit_test(test_chain_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
