/*
 * commands.c - lfstool's command table: names, arguments, help texts and
 * the options each command takes; and the image paths and the opening of
 * an image at a path that the commands share. Each command's code is its
 * own file, cmd_NAME.c (manifest's is manifest.c).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "image_write.h"
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
    "geometry and disk_version say how the image was laid out; 'lfstool pack'\n"
    "reads it to build the image back from DIR. It also holds each\n"
    "file's size and sha256, so the unpacked tree can be checked against it.\n";

#define WRITE_HELP \
    "The image is written atomically: the new image goes to a temporary file\n" \
    "in IMAGE's directory, is synced and renamed over IMAGE. On any error, or\n" \
    "if lfstool is killed, IMAGE is left exactly as it was.\n"

#define EDIT_HELP \
    IMAGE_HELP \
    "The image is edited with the on-disk version it has (2.0 stays 2.0).\n" \
    WRITE_HELP

static const char format_help[] =
    "Writes an empty littlefs image of block_size * block_count bytes to\n"
    "IMAGE, creating it or replacing it (keeping its permissions).\n"
    "--block-size and --block-count are required; --read-size and --prog-size\n"
    "(the commit padding unit) default to 16 or the largest power of two below\n"
    "it that divides the block size. --name-max, --file-max and --attr-max are\n"
    "recorded in the superblock; littlefs refuses to mount an image whose limits\n"
    "exceed its own. Block sizes that are not a power of two work, but reading\n"
    "such an image back needs --block-size: detection only tries powers of two.\n"
    "\n"
    WRITE_HELP;

static const char pack_help[] =
    "Builds a littlefs image from the host directory DIR, as mklittlefs does:\n"
    "every file and directory below DIR, in byte order of their names, so the\n"
    "same tree gives the same image. Only regular files and directories can be\n"
    "packed: a symbolic link, device, FIFO or socket anywhere in the tree is\n"
    "an error naming it (nothing is written), as is a name longer than name\n"
    "max or a path longer than 4095 bytes.\n"
    "\n"
    "Custom attributes come from the sidecar 'lfstool unpack' writes: FILE with\n"
    "--manifest FILE, else DIR.manifest.json if it exists (else none). Each of\n"
    "its entries gives a path (\"/\" is DIR itself) and \"attrs\": {\"TT\": \"hex\"};\n"
    "sizes and hashes in it are ignored, and an entry whose path is not in the\n"
    "tree is reported as a warning. Its \"geometry\" (block_size, block_count,\n"
    "read_size, prog_size) and \"disk_version\" are the defaults for the image,\n"
    "so 'unpack' then 'pack' rebuilds the same layout; command-line options\n"
    "override them. Without a sidecar, --block-size and --block-count are\n"
    "required; the version defaults to 2.1.\n"
    "\n"
    "If the tree does not fit, nothing is written and the error says how many\n"
    "blocks a trial pack into a larger device needed.\n"
    "\n"
    WRITE_HELP;

static const char put_help[] =
    "Copies the host file SRC (\"-\": standard input) to PATH in the image. An\n"
    "existing file at PATH is replaced; its custom attributes stay. If PATH is\n"
    "a directory or ends in '/', the file goes into it under SRC's name. With\n"
    "-p, missing parent directories are made. If the file does not fit, the\n"
    "error says how much of the image is in use and the image is unchanged.\n"
    "\n"
    EDIT_HELP;

static const char rm_help[] =
    "Removes the file or empty directory PATH. A directory with contents is an\n"
    "error (directory not empty) unless -r is given, which removes it with\n"
    "everything below it. The root cannot be removed.\n"
    "\n"
    EDIT_HELP;

static const char mkdir_help[] =
    "Makes the directory PATH. Its parent must exist and PATH must not, unless\n"
    "-p is given: then missing parents are made and an existing directory is\n"
    "not an error (an existing file still is).\n"
    "\n"
    EDIT_HELP;

#define FORMAT_OPTIONS (GEOMETRY_OPTIONS | OPTBIT(OPT_DISK_VERSION) \
        | OPTBIT(OPT_NAME_MAX) | OPTBIT(OPT_FILE_MAX) | OPTBIT(OPT_ATTR_MAX))

static const char fsck_help[] =
    IMAGE_HELP
    "Checks the image's structure from its raw blocks, without needing it to\n"
    "mount: the superblock and its copies and the disk version; every metadata\n"
    "pair on the thread (hard and soft tails) and every directory pair: its\n"
    "current block and each commit's CRC (a bad commit followed by good ones\n"
    "is corruption; a torn last commit is normal and only noted); loops in the\n"
    "tails; directory entries pointing at missing or invalid pairs; skip-list\n"
    "pointers outside the device, looping, or not matching the file's size;\n"
    "blocks used twice; an unfinished move and orphans in the global state;\n"
    "and lfs_fs_size (through a read-only mount) against its own count.\n"
    "Each finding is one line \"SEVERITY: block 0xB off 0xO: what is wrong\"\n"
    "(severity info, repair, error or fatal), then a summary line. --json\n"
    "prints {\"status\", \"findings\": [{\"severity\", \"block\", \"off\",\n"
    "\"kind\", \"message\"}], ...} instead.\n"
    "Exit status: 0 clean; 1 consistent but needs the mount-time repair (a\n"
    "pending move, orphans); 2 corrupt, data lost or unreachable; 3 not a\n"
    "littlefs image or unreadable.\n"
    "\n"
    "With --repair, writes a repaired copy of IMAGE to OUT (IMAGE is never\n"
    "modified): mounted and made consistent (lfs_fs_mkconsistent) if that\n"
    "gives a clean image; otherwise a new image of the same geometry and\n"
    "version holding every file, directory and attribute that can still be\n"
    "read, each dropped entry listed. OUT is checked before the exit status\n"
    "(0 when it is clean) is returned.\n";

static const char salvage_help[] =
    IMAGE_HELP
    "Extracts every file that can still be read into DIR (created; it must\n"
    "not exist or be empty), even from an image that will not mount. Follows\n"
    "the metadata thread from the superblock; if that is broken, scans every\n"
    "block for metadata blocks. Directories whose parent is lost go under\n"
    "DIR/lost+found/pair-0xA-0xB/. Files whose skip-list breaks are written\n"
    "with what could be read and reported as partial. Names holding '/' or\n"
    "being \".\" or \"..\" are refused (reported), so nothing is written\n"
    "outside DIR. Everything not recovered is listed on stderr. Exit status:\n"
    "0 everything recovered, 1 something lost or an error, 2 bad command line.\n";

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
    {"format", "IMAGE", "write an empty image (--block-size, --block-count required)",
        format_help, FORMAT_OPTIONS, 1, 1, cmd_format},
    {"pack", "DIR IMAGE", "build an image from a directory, attributes from its sidecar",
        pack_help, FORMAT_OPTIONS | OPTBIT(OPT_MANIFEST), 2, 2, cmd_pack},
    {"put", "IMAGE SRC PATH", "copy a host file into the image (-p: make parents)",
        put_help, GEOMETRY_OPTIONS | OPTBIT(OPT_PARENTS), 3, 3, cmd_put},
    {"rm", "IMAGE PATH", "remove a file or empty directory (-r: with contents)",
        rm_help, GEOMETRY_OPTIONS | OPTBIT(OPT_RECURSIVE), 2, 2, cmd_rm},
    {"mkdir", "IMAGE PATH", "make a directory (-p: parents too, existing ok)",
        mkdir_help, GEOMETRY_OPTIONS | OPTBIT(OPT_PARENTS), 2, 2, cmd_mkdir},
    {"fsck", "IMAGE [OUT]", "check the structure raw; --repair IMAGE OUT: repaired copy",
        fsck_help, GEOMETRY_OPTIONS | OPTBIT(OPT_JSON) | OPTBIT(OPT_REPAIR), 1, 2, cmd_fsck},
    {"salvage", "IMAGE DIR", "extract every readable file, even from an unmountable image",
        salvage_help, GEOMETRY_OPTIONS, 2, 2, cmd_salvage},
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

int image_open_at(struct image *img, const struct cli *cli, const char *given, bool edit,
        char *path, size_t size, struct lfs_info *info)
{
    if (image_path(given, path, size) < 0) {
        return EXIT_USAGE;
    }
    int err = edit ? image_open_edit(img, cli->args[0], &cli->geometry)
            : image_open(img, cli->args[0], &cli->geometry);
    if (err < 0) {
        return EXIT_FAIL;
    }
    err = lfs_stat(&img->lfs, path, info);
    if (err) {
        image_error(img, path, err);
        image_close(img);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}
