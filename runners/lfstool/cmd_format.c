/*
 * cmd_format.c - `lfstool format --block-size N --block-count N IMAGE`:
 * writes an empty littlefs image of block_size * block_count bytes,
 * creating IMAGE or replacing it atomically.
 */
#include <stdio.h>

#include "commands.h"
#include "image_write.h"

int cmd_format(const struct cli *cli)
{
    if (!cli->geometry.block_size || !cli->geometry.block_count) {
        cli_error("format: give both --block-size and --block-count "
                "(try 'lfstool format --help')");
        return EXIT_USAGE;
    }
    struct format_opts opts = {
        .geometry = cli->geometry,
        .disk_version = cli->disk_version,
        .name_max = cli->name_max,
        .file_max = cli->file_max,
        .attr_max = cli->attr_max,
    };
    struct image img;
    if (image_create(&img, cli->args[0], &opts) < 0) {
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    if (image_save(&img) == 0) {
        printf("formatted %s: %lu blocks of %lu bytes, disk version %u.%u\n",
                img.path, (unsigned long)img.fsinfo.block_count,
                (unsigned long)img.fsinfo.block_size,
                (unsigned)(img.fsinfo.disk_version >> 16),
                (unsigned)(img.fsinfo.disk_version & 0xffff));
        status = EXIT_OK;
    }
    image_close(&img);
    return status;
}
