/*
 * commands.c - lfstool's command table: names, arguments, help texts and
 * the options each command takes. A command that writes the image (issue
 * 5: format, pack, put, rm, mkdir) is one more row here and one more file.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tree.h"

#define IMAGE_HELP \
    "IMAGE is a raw dump of the whole device (block_size * block_count bytes).\n"

static const char info_help[] =
    IMAGE_HELP
    "Prints one \"key: value\" line each: image, image bytes, disk version\n"
    "(major.minor and hex), block size, block count, geometry from (superblock\n"
    "or command line), read size, prog size, name max, file max, attr max,\n"
    "blocks used (lfs_fs_size), blocks free, files, file bytes (sum of file\n"
    "sizes) and directories (not counting the root).\n";

static const char ls_help[] =
    IMAGE_HELP
    "Lists the directory PATH (default /): one line per entry, \"d\" or \"-\"\n"
    "(directory or file), the size in bytes (\"-\" for directories) and the\n"
    "name, in the order the filesystem stores them. With -R, lists everything\n"
    "below PATH, each directory before its contents, by full path. A PATH that\n"
    "names a file lists that file. Control characters and backslashes in names\n"
    "are shown as \\xHH and \\\\.\n";

static const char cat_help[] =
    IMAGE_HELP
    "Writes the raw bytes of the file PATH to stdout. Fails if PATH is a\n"
    "directory, or if the file does not read back exactly its size.\n";

static const char manifest_help[] =
    IMAGE_HELP
    "Prints a JSON manifest of the image, the schema of the golden images'\n"
    "NAME.manifest.json (laid out like Python's json.dumps(indent=1)):\n"
    "  {\"image\": file name, \"geometry\": {\"block_size\", \"block_count\",\n"
    "   \"read_size\", \"prog_size\"}, \"disk_version\": \"0x00020001\",\n"
    "   \"made_by\", \"notes\", \"entries\": [...]}\n"
    "read_size and prog_size are the ones the image was read with. entries has\n"
    "one object per file or directory, the root \"/\" first, then depth-first\n"
    "in directory order: {\"path\": \"/a/b\", \"type\": \"file\" or \"dir\",\n"
    "\"size\": bytes and \"sha256\": hex of the contents (files only), \"attrs\":\n"
    "{\"TT\": \"hex bytes\"}} where TT is the custom attribute's type as two\n"
    "lowercase hex digits (every type 0x00..0xff is looked up). Names that are\n"
    "not UTF-8 are written with \\udcXX escapes for their stray bytes (Python's\n"
    "surrogateescape). Nothing is printed unless the whole image reads cleanly.\n";

static const char unpack_help[] =
    IMAGE_HELP
    "Recreates the image's files and directories under DIR, which must not\n"
    "exist or be an empty directory, and writes the image's manifest (see\n"
    "'lfstool manifest --help') to the sidecar DIR.manifest.json, or to FILE\n"
    "with --manifest FILE (\"-\" for stdout). Custom attributes have no place\n"
    "in a host filesystem, so the sidecar keeps them: its entries list each\n"
    "path (\"/\" is DIR itself) with its attrs as {\"TT\": \"hex bytes\"}, and\n"
    "geometry and disk_version say how the image was laid out; it is the\n"
    "format planned for packing a tree back into an image. It also holds each\n"
    "file's size and sha256, so the unpacked tree can be checked against it.\n";

const struct command lfstool_commands[] = {
    {"info", "IMAGE", "show geometry, version, usage and entry counts", info_help,
        GEOMETRY_OPTIONS, 1, 1, cmd_info},
    {"ls", "IMAGE [PATH]", "list a directory (-R: recursively)", ls_help,
        GEOMETRY_OPTIONS | OPTBIT(OPT_RECURSIVE), 1, 2, cmd_ls},
    {"cat", "IMAGE PATH", "write a file's contents to stdout", cat_help,
        GEOMETRY_OPTIONS, 2, 2, cmd_cat},
    {"unpack", "IMAGE DIR", "extract everything into DIR, attributes to a JSON sidecar",
        unpack_help, GEOMETRY_OPTIONS | OPTBIT(OPT_MANIFEST), 2, 2, cmd_unpack},
    {"manifest", "IMAGE", "print the JSON manifest (entries, sizes, sha256, attrs)",
        manifest_help, GEOMETRY_OPTIONS, 1, 1, cmd_manifest},
    {NULL, NULL, NULL, NULL, 0, 0, 0, NULL},
};

int image_path(const char *given, char *out, size_t size)
{
    if (!given || !given[0]) {
        given = "/";
    }
    size_t len = strlen(given);
    bool slash = given[0] != '/';
    if (len + slash >= size) {
        cli_error("%.40s...: path too long", given);
        return -1;
    }
    out[0] = '/';
    memcpy(out + slash, given, len + 1);
    return 0;
}
