/*
 * commands.h - the run functions of lfstool's commands (one file each).
 */
#ifndef LFSTOOL_COMMANDS_H
#define LFSTOOL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

int cmd_info(const struct cli *cli);
int cmd_ls(const struct cli *cli);
int cmd_cat(const struct cli *cli);
int cmd_unpack(const struct cli *cli);
int cmd_manifest(const struct cli *cli);
int cmd_format(const struct cli *cli);
int cmd_pack(const struct cli *cli);
int cmd_put(const struct cli *cli);
int cmd_rm(const struct cli *cli);
int cmd_mkdir(const struct cli *cli);
int cmd_fsck(const struct cli *cli);
int cmd_salvage(const struct cli *cli);

/* An image path as the core wants it: absolute, "/" for "" or NULL.
 * Returns -1 (reported) if it does not fit in `out`. */
int image_path(const char *given, char *out, size_t size);

struct image;
struct lfs_info;

/* The start of the commands on one PATH of an image: `given` normalised
 * into path (image_path), the image cli->args[0] opened (for editing if
 * `edit`) and the path looked up into *info. Returns EXIT_OK with the
 * image open, else EXIT_USAGE or EXIT_FAIL (reported, nothing open). */
int image_open_at(struct image *img, const struct cli *cli, const char *given, bool edit,
        char *path, size_t size, struct lfs_info *info);

/* Makes the directory `given` (an image path) in a mounted image; with
 * `parents`, each missing directory along it, existing ones accepted
 * (cmd_mkdir.c). Returns 0, or -1 (reported). */
int image_mkdirs(struct image *img, const char *given, bool parents);

#endif
