/*
 * kv_mount.c - formatting, mounting and unmounting the filesystem behind a
 * key-value view. Mount reads name_max from the superblock and removes a
 * value-in-creation left in the root by a power cut.
 */
#include "kv_internal.h"

int kv_format(kv_t *kv, const struct kv_config *cfg) {
    kv->cfg = cfg;
    return lfs_format(&kv->lfs, cfg->lfs);
}

int kv_mount(kv_t *kv, const struct kv_config *cfg) {
    kv->cfg = cfg;
    int err = lfs_mount(&kv->lfs, cfg->lfs);
    if (err) {
        return err;
    }
    struct lfs_fsinfo fs;
    err = lfs_fs_stat(&kv->lfs, &fs);
    if (!err) {
        kv->name_max = fs.name_max ? fs.name_max : LFS_NAME_MAX;
        if (kv->name_max > LFS_NAME_MAX) {
            kv->name_max = LFS_NAME_MAX;
        }
        err = kv_drop_temp(kv, "x");
    }
    if (err) {
        lfs_unmount(&kv->lfs);
    }
    return err;
}

int kv_unmount(kv_t *kv) {
    return lfs_unmount(&kv->lfs);
}
