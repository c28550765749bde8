/*
 * image.c - raw flash images (block 0 first, block_size bytes each, exactly
 * what a flash dump holds) and the memory accounting that shows the device
 * is sparse.
 *
 * Loading keeps blocks equal to the baseline unallocated, so loading a
 * mostly-erased image costs memory only for its written blocks.  A load is
 * all-or-nothing: on any error the device is unchanged.  Uses stdio only.
 */
#include "bd_emu_internal.h"

#include <stdlib.h>
#include <string.h>

/* 1 if data (a whole block) equals the block's baseline; tmp: block_size. */
static int is_baseline(const bd_emu_t *bd, uint32_t block, const uint8_t *data, uint8_t *tmp)
{
    uint32_t bs = bd->cfg.block_size;
    if (bd->cfg.erase_value != BD_EMU_ERASE_NONE) {
        uint8_t erased = (uint8_t)bd->cfg.erase_value;
        for (uint32_t i = 0; i < bs; i++) {
            if (data[i] != erased) {
                return 0;
            }
        }
        return 1;
    }
    bde_baseline(bd->pool, block, 0, bs, tmp);
    return memcmp(data, tmp, bs) == 0;
}

int bd_emu_load_image(bd_emu_t *bd, const char *path)
{
    if (!bd || !path) {
        return LFS_ERR_INVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return LFS_ERR_IO;
    }
    uint32_t bs = bd->cfg.block_size;
    uint8_t *data = bd->scratch, *tmp = bd->scratch + bs;
    struct bde_node *root = NULL;
    uint64_t hash = 0;
    int rc = 0;
    for (uint32_t b = 0; b < bd->cfg.block_count && rc == 0; b++) {
        if (fread(data, 1, bs, f) != bs) {
            rc = ferror(f) ? LFS_ERR_IO : LFS_ERR_INVAL;   /* short file */
            break;
        }
        if (is_baseline(bd, b, data, tmp)) {
            continue;
        }
        struct bde_block *blk = bde_block_new(bd->pool);
        if (!blk) {
            rc = LFS_ERR_NOMEM;
            break;
        }
        memcpy(blk->data, data, bs);
        hash += bde_hash_block(bd->pool, b, blk);
        rc = bde_store_set(bd->pool, &root, b, blk);
    }
    if (rc == 0 && fgetc(f) != EOF) {
        rc = LFS_ERR_INVAL;     /* longer than the device */
    }
    fclose(f);
    if (rc < 0) {
        bde_node_release(bd->pool, root);
        return rc;
    }
    bde_node_release(bd->pool, bd->root);
    bd->root = root;
    bd->hash = hash;
    return bde_settle(bd);
}

int bd_emu_save_image(const bd_emu_t *bd, const char *path)
{
    if (!bd || !path) {
        return LFS_ERR_INVAL;
    }
    uint32_t bs = bd->cfg.block_size;
    uint8_t *data = malloc(bs);
    FILE *f = data ? fopen(path, "wb") : NULL;
    if (!f) {
        free(data);
        return data ? LFS_ERR_IO : LFS_ERR_NOMEM;
    }
    int rc = 0;
    for (uint32_t b = 0; b < bd->cfg.block_count && rc == 0; b++) {
        bde_store_read(bd->pool, bd->root, b, 0, bs, data);
        if (fwrite(data, 1, bs, f) != bs) {
            rc = LFS_ERR_IO;
        }
    }
    if (fclose(f) != 0) {
        rc = LFS_ERR_IO;
    }
    free(data);
    return rc;
}

size_t bd_emu_memory(const bd_emu_t *bd)
{
    return sizeof *bd + bd->pool->bytes + bd->stats.bytes
            + bd->dirty_cap * sizeof *bd->dirty + 3 * (size_t)bd->cfg.block_size;
}
