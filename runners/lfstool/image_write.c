/*
 * image_write.c - images lfstool writes: a freshly formatted one, an
 * existing one opened for editing, and saving either back to its file
 * atomically.
 *
 * Atomic save: the device's bytes go to a new temporary file in the
 * image's own directory (same filesystem, so rename(2) is atomic), which is
 * synced, given the image's permissions and renamed over the image; then
 * the directory is synced. A failure at any step removes the temporary
 * file and leaves the image file as it was. A process killed mid-save
 * leaves the old image and, at worst, a stray ".NAME.XXXXXX" beside it.
 * An image reached through a symbolic link is replaced at the link's
 * target, so the link stays a link.
 */
#define _XOPEN_SOURCE 700     /* realpath */

#include "image_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int image_create(struct image *img, const char *path, const struct format_opts *opts)
{
    memset(img, 0, sizeof(*img));
    img->path = path;
    const struct geometry_opts *geo = &opts->geometry;
    uint32_t bs = geo->block_size, count = geo->block_count;
    uint32_t rs = geo->read_size ? geo->read_size : image_default_io_size(bs);
    uint32_t ps = geo->prog_size ? geo->prog_size : rs;
    if (bs < IMAGE_MIN_BLOCK_SIZE) {
        cli_error("%s: block size %u is below littlefs's minimum of %u", path,
                bs, IMAGE_MIN_BLOCK_SIZE);
        return -1;
    }
    if (count < 2) {
        cli_error("%s: %u block(s): littlefs needs at least 2", path, count);
        return -1;
    }
    if (bs % rs != 0 || bs % ps != 0) {
        cli_error("%s: read size %u and prog size %u must both divide the "
                "block size %u", path, rs, ps, bs);
        return -1;
    }
    if (opts->name_max > LFS_NAME_MAX || opts->attr_max > LFS_ATTR_MAX
            || opts->file_max > LFS_FILE_MAX) {
        cli_error("%s: limits above the core's (name %d, file %ld, attr %d "
                "bytes)", path, LFS_NAME_MAX, (long)LFS_FILE_MAX, LFS_ATTR_MAX);
        return -1;
    }
    char why[256] = "";
    img->bd = image_device(bs, count, rs, ps, why, sizeof(why));
    if (!img->bd) {
        cli_error("%s: cannot emulate this geometry: %s", path, why);
        return -1;
    }
    img->file_size = (uint64_t)bs * count;
    image_configure(img);
    img->cfg.name_max = opts->name_max;
    img->cfg.file_max = opts->file_max;
    img->cfg.attr_max = opts->attr_max;
    img->cfg.disk_version = opts->disk_version;

    int err = lfs_format(&img->lfs, &img->cfg);
    if (!err) {
        err = lfs_mount(&img->lfs, &img->cfg);
        if (!err) {
            err = lfs_fs_stat(&img->lfs, &img->fsinfo);
            if (err) {
                lfs_unmount(&img->lfs);
            }
        }
    }
    if (err) {
        cli_error("%s: cannot format %u blocks of %u bytes: %s (%d)", path,
                count, bs, image_strerror(err), err);
        bd_emu_destroy(img->bd);
        img->bd = NULL;
        return -1;
    }
    return 0;
}

int image_open_edit(struct image *img, const char *path, const struct geometry_opts *geo)
{
    if (image_open(img, path, geo) < 0) {
        return -1;
    }
    /* write the version the image has: a 2.0 image stays 2.0 */
    lfs_unmount(&img->lfs);
    img->cfg.disk_version = img->fsinfo.disk_version;
    int err = lfs_mount(&img->lfs, &img->cfg);
    if (err) {
        cli_error("%s: cannot mount for writing: %s (%d)", path,
                image_strerror(err), err);
        bd_emu_destroy(img->bd);
        img->bd = NULL;
        return -1;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Writes every block of the device to fd. Returns 0 or -1 with errno. */
static int write_device(int fd, const bd_emu_t *bd)
{
    const struct bd_emu_config *g = bd_emu_geometry(bd);
    uint8_t *block = malloc(g->block_size);
    if (!block) {
        errno = ENOMEM;
        return -1;
    }
    int result = 0;
    for (uint32_t b = 0; b < g->block_count && result == 0; b++) {
        if (bd_emu_peek(bd, b, 0, block, g->block_size) != 0) {
            errno = EIO;
            result = -1;
        } else {
            result = write_all(fd, block, g->block_size);
        }
    }
    free(block);
    return result;
}

/* The file to replace: the target of a symbolic link, else path itself.
 * *mode gets its permissions, or 0666 less the umask for a new file. */
static char *save_target(const char *path, mode_t *mode)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            cli_error("%s: exists and is not a regular file", path);
            return NULL;
        }
        *mode = st.st_mode & 07777;
        char *real = realpath(path, NULL);
        if (!real) {
            cli_error("%s: %s", path, strerror(errno));
        }
        return real;
    }
    if (errno != ENOENT) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    mode_t mask = umask(0);
    umask(mask);
    *mode = 0666 & ~mask;
    char *copy = malloc(strlen(path) + 1);
    if (!copy) {
        cli_error("out of memory");
        return NULL;
    }
    return strcpy(copy, path);
}

static void sync_directory(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);      /* best effort: some filesystems refuse it */
        close(fd);
    }
}

int image_save(const struct image *img)
{
    mode_t mode;
    char *target = save_target(img->path, &mode);
    if (!target) {
        return -1;
    }
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) : 0;
    const char *base = slash ? slash + 1 : target;
    char *dir = malloc(dir_len + 2);
    char *temp = malloc(strlen(target) + sizeof("/..XXXXXX"));
    if (!dir || !temp) {
        cli_error("out of memory");
        free(dir);
        free(temp);
        free(target);
        return -1;
    }
    if (!slash) {
        strcpy(dir, ".");
    } else if (dir_len == 0) {
        strcpy(dir, "/");
    } else {
        memcpy(dir, target, dir_len);
        dir[dir_len] = '\0';
    }
    sprintf(temp, "%.*s%s.%s.XXXXXX", (int)dir_len, target, slash ? "/" : "", base);

    int result = -1;
    const char *step = "cannot create a temporary file beside it";
    int fd = mkstemp(temp);
    if (fd >= 0) {
        step = "cannot write the new image";
        if (write_device(fd, img->bd) == 0) {
            step = "cannot sync the new image";
            if (fsync(fd) == 0) {
                step = "cannot set the new image's permissions";
                if (fchmod(fd, mode) == 0) {
                    result = 0;
                }
            }
        }
        int saved = errno;
        if (close(fd) != 0 && result == 0) {
            step = "cannot write the new image";
            result = -1;
        } else {
            errno = saved;
        }
        if (result == 0) {
            step = "cannot rename the new image into place";
            if (rename(temp, target) != 0) {
                result = -1;
            }
        }
        if (result != 0) {
            saved = errno;
            unlink(temp);
            errno = saved;
        }
    }
    if (result == 0) {
        sync_directory(dir);
    } else {
        cli_error("%s: %s (%s): the image file is unchanged", img->path, step,
                strerror(errno));
    }
    free(dir);
    free(temp);
    free(target);
    return result;
}

int image_copy_in(struct image *img, int fd, const char *src, const char *path,
        uint64_t *copied, int *lfs_err)
{
    static uint8_t chunk[65536];
    *copied = 0;
    *lfs_err = 0;
    lfs_file_t file;
    int err = lfs_file_open(&img->lfs, &file, path,
            LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC);
    if (err) {
        *lfs_err = err;
        return -1;
    }
    int result = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            cli_error("%s: %s", src, strerror(errno));
            result = -1;
            break;
        }
        if (n == 0) {
            break;
        }
        *copied += (uint64_t)n;
        lfs_ssize_t w = lfs_file_write(&img->lfs, &file, chunk, (lfs_size_t)n);
        if (w != n) {
            *lfs_err = w < 0 ? (int)w : LFS_ERR_IO;
            result = -1;
            break;
        }
    }
    err = lfs_file_close(&img->lfs, &file);
    if (result == 0 && err) {
        *lfs_err = err;
        result = -1;
    }
    return result;
}
