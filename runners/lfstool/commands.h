/*
 * commands.h - the run functions of lfstool's commands (one file each).
 */
#ifndef LFSTOOL_COMMANDS_H
#define LFSTOOL_COMMANDS_H

#include "cli.h"

int cmd_info(const struct cli *cli);
int cmd_ls(const struct cli *cli);
int cmd_cat(const struct cli *cli);
int cmd_unpack(const struct cli *cli);
int cmd_manifest(const struct cli *cli);

/* An image path as the core wants it: absolute, "/" for "" or NULL.
 * Returns -1 (reported) if it does not fit in `out`. */
int image_path(const char *given, char *out, size_t size);

#endif
