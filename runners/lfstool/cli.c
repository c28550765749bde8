/*
 * cli.c - parses lfstool's command line and prints its help.
 *
 * Options may come before or after the command name ("lfstool
 * --block-size 512 ls img" and "lfstool ls img --block-size=512" are the
 * same); "--" ends the options. Each command says which options it takes;
 * anything else is a usage error. The command table itself is commands.c.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct option_spec {
    enum cli_option id;
    const char *long_name;
    char short_name;            /* 0: none */
    char alias;                 /* a second short name, 0: none */
    const char *value_name;     /* NULL: a flag */
    const char *help;
};

static const struct option_spec option_specs[OPT_COUNT] = {
    {OPT_HELP, "help", 'h', 0, NULL, "show this help"},
    {OPT_BLOCK_SIZE, "block-size", 0, 0, "N",
        "block (erase) size in bytes (default: from the superblock)"},
    {OPT_BLOCK_COUNT, "block-count", 0, 0, "N",
        "number of blocks (default: from the superblock)"},
    {OPT_READ_SIZE, "read-size", 0, 0, "N",
        "read unit in bytes (default: 16, or the largest power\n"
        "                        of two below it that divides the block size)"},
    {OPT_PROG_SIZE, "prog-size", 0, 0, "N",
        "program unit in bytes (default: as --read-size)"},
    {OPT_RECURSIVE, "recursive", 'R', 'r', NULL,
        "descend into subdirectories (ls: list, rm: remove them)"},
    {OPT_MANIFEST, "manifest", 0, 0, "FILE",
        "the attribute sidecar (default: DIR.manifest.json)"},
    {OPT_DISK_VERSION, "disk-version", 0, 0, "V",
        "on-disk version to write: 2.1 (default) or 2.0"},
    {OPT_NAME_MAX, "name-max", 0, 0, "N",
        "longest name, recorded in the superblock (default 255)"},
    {OPT_FILE_MAX, "file-max", 0, 0, "N",
        "largest file, recorded in the superblock (default 2^31-1)"},
    {OPT_ATTR_MAX, "attr-max", 0, 0, "N",
        "largest custom attribute, in the superblock (default 1022)"},
    {OPT_PARENTS, "parents", 'p', 0, NULL,
        "make missing parent directories; no error if PATH exists"},
    {OPT_JSON, "json", 0, 0, NULL, "print the result as JSON"},
    {OPT_REPAIR, "repair", 0, 0, NULL,
        "write a repaired copy of IMAGE to OUT (IMAGE is not modified)"},
};

static const char general_help[] =
    "lfstool reads and writes littlefs images (raw dumps of a whole flash\n"
    "device) through brownout's filesystem core. Reading never writes to the\n"
    "image file. Writing (format, pack, put, rm, mkdir) builds the new image in\n"
    "memory, writes it to a temporary file in the image's directory, syncs it\n"
    "and renames it over IMAGE: an interrupted or failed write leaves IMAGE as\n"
    "it was, never half-written.\n"
    "\n"
    "Geometry: without --block-size/--block-count, lfstool tries every power of\n"
    "two from 128 to 1048576 that divides the file size, looks for the magic\n"
    "\"littlefs\" at offset 8 of block 0 or block 1, takes the superblock whose\n"
    "block size and block count agree with the file size, and mounts with it.\n"
    "With only one of the two given, the other is the file size divided by it.\n"
    "Numbers may be decimal or 0x-hex, with an optional K (1024) or M suffix.\n"
    "\n"
    "Paths inside the image are absolute or relative to its root (\"docs/a\"\n"
    "and \"/docs/a\" are the same).\n"
    "\n"
    "Exit status: 0 success; 1 the command failed (not littlefs, corrupt, no\n"
    "such path, no space, a host file error, I/O error); 2 bad command line.\n"
    "Errors go to stderr as one line starting with \"lfstool: \".\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("lfstool: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct command *find_command(const char *name)
{
    for (const struct command *c = lfstool_commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void print_options(FILE *out, unsigned options)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct option_spec *o = &option_specs[i];
        if (!(options & OPTBIT(o->id))) {
            continue;
        }
        char left[64];
        if (o->alias) {
            snprintf(left, sizeof(left), "-%c, -%c, --%s", o->alias,
                    o->short_name, o->long_name);
        } else if (o->short_name) {
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
                    o->long_name, o->value_name ? " " : "",
                    o->value_name ? o->value_name : "");
        } else {
            snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
                    o->value_name ? " " : "", o->value_name ? o->value_name : "");
        }
        fprintf(out, "  %-22s%s\n", left, o->help);
    }
}

static void print_general_help(FILE *out)
{
    fprintf(out, "usage: lfstool [OPTIONS] COMMAND [OPTIONS] ARGS...\n"
            "       lfstool COMMAND --help     (or: lfstool help COMMAND)\n\ncommands:\n");
    for (const struct command *c = lfstool_commands; c->name; c++) {
        char left[64];
        snprintf(left, sizeof(left), "%s %s", c->name, c->synopsis);
        fprintf(out, "  %-26s %s\n", left, c->summary);
    }
    fprintf(out, "\noptions:\n");
    print_options(out, OPTBIT(OPT_HELP) | GEOMETRY_OPTIONS);
    fprintf(out, "\n%s", general_help);
}

static void print_command_help(FILE *out, const struct command *c)
{
    fprintf(out, "usage: lfstool %s [OPTIONS] %s\n\n%s\n\n%s\n",
            c->name, c->synopsis, c->summary, c->help);
    fprintf(out, "options:\n");
    print_options(out, OPTBIT(OPT_HELP) | c->options);
    if (c->options & GEOMETRY_OPTIONS) {
        fprintf(out, "\n%s", general_help);
    }
}

/* Parses a size: decimal or 0x-hex, optional K or M suffix, 1..2^32-1. */
static int parse_size(const char *name, const char *text, uint32_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '+' || text[0] == '\0') {
        goto bad;
    }
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text) {
        goto bad;
    }
    if (*end == 'K' || *end == 'k') {
        v *= 1024;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        v *= 1024*1024;
        end++;
    }
    if (*end != '\0' || v == 0 || v > UINT32_MAX) {
        goto bad;
    }
    *out = (uint32_t)v;
    return 0;
bad:
    cli_error("--%s: '%s' is not a size (a positive number below 2^32)",
            name, text);
    return -1;
}

/* Parses "2.0" or "2.1" (the versions the core can write). */
static int parse_disk_version(const char *text, uint32_t *out)
{
    if (strcmp(text, "2.0") == 0) {
        *out = 0x00020000;
    } else if (strcmp(text, "2.1") == 0) {
        *out = 0x00020001;
    } else {
        cli_error("--disk-version: '%s' is not a version lfstool writes "
                "(2.0 or 2.1)", text);
        return -1;
    }
    return 0;
}

static const struct option_spec *find_long(const char *name, size_t len)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        const char *l = option_specs[i].long_name;
        if (strlen(l) == len && strncmp(l, name, len) == 0) {
            return &option_specs[i];
        }
    }
    return NULL;
}

static const struct option_spec *find_short(char c)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        if ((option_specs[i].short_name && option_specs[i].short_name == c)
                || (option_specs[i].alias && option_specs[i].alias == c)) {
            return &option_specs[i];
        }
    }
    return NULL;
}

static int apply_option(struct cli *cli, const struct option_spec *o,
        const char *value)
{
    switch (o->id) {
    case OPT_BLOCK_SIZE:
        return parse_size(o->long_name, value, &cli->geometry.block_size);
    case OPT_BLOCK_COUNT:
        return parse_size(o->long_name, value, &cli->geometry.block_count);
    case OPT_READ_SIZE:
        return parse_size(o->long_name, value, &cli->geometry.read_size);
    case OPT_PROG_SIZE:
        return parse_size(o->long_name, value, &cli->geometry.prog_size);
    case OPT_RECURSIVE:
        cli->recursive = true;
        return 0;
    case OPT_MANIFEST:
        cli->manifest = value;
        return 0;
    case OPT_DISK_VERSION:
        return parse_disk_version(value, &cli->disk_version);
    case OPT_NAME_MAX:
        return parse_size(o->long_name, value, &cli->name_max);
    case OPT_FILE_MAX:
        return parse_size(o->long_name, value, &cli->file_max);
    case OPT_ATTR_MAX:
        return parse_size(o->long_name, value, &cli->attr_max);
    case OPT_PARENTS:
        cli->parents = true;
        return 0;
    case OPT_JSON:
        cli->json = true;
        return 0;
    case OPT_REPAIR:
        cli->repair = true;
        return 0;
    case OPT_HELP:
    case OPT_COUNT:
        break;
    }
    return 0;
}

int cli_parse(int argc, char **argv, struct cli *cli, int *status)
{
    memset(cli, 0, sizeof(*cli));
    unsigned given = 0;         /* options seen, to check against the command */
    bool help = false;
    bool options_done = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const struct option_spec *o = NULL;
        const char *value = NULL;

        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (!cli->command) {
                if (strcmp(arg, "help") == 0 && !help) {
                    help = true;
                    continue;
                }
                cli->command = find_command(arg);
                if (!cli->command) {
                    cli_error("unknown command '%s' (try 'lfstool --help')", arg);
                    *status = EXIT_USAGE;
                    return -1;
                }
            } else if (cli->nargs < CLI_MAX_ARGS) {
                cli->args[cli->nargs++] = arg;
            } else {
                cli->nargs++;   /* counted, reported as too many below */
            }
            continue;
        }

        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            o = find_long(name, eq ? (size_t)(eq - name) : strlen(name));
            if (o && eq) {
                if (!o->value_name) {
                    cli_error("option --%s takes no value", o->long_name);
                    *status = EXIT_USAGE;
                    return -1;
                }
                value = eq + 1;
            }
        } else if (arg[2] == '\0') {
            o = find_short(arg[1]);
        }
        if (!o) {
            cli_error("unknown option '%s' (try 'lfstool --help')", arg);
            *status = EXIT_USAGE;
            return -1;
        }
        if (o->value_name && !value) {
            if (i + 1 >= argc) {
                cli_error("option --%s needs a value %s", o->long_name,
                        o->value_name);
                *status = EXIT_USAGE;
                return -1;
            }
            value = argv[++i];
        }
        if (o->id == OPT_HELP) {
            help = true;
            continue;
        }
        given |= OPTBIT(o->id);
        if (apply_option(cli, o, value) < 0) {
            *status = EXIT_USAGE;
            return -1;
        }
    }

    if (help) {
        if (cli->command) {
            print_command_help(stdout, cli->command);
        } else {
            print_general_help(stdout);
        }
        *status = EXIT_OK;
        return -1;
    }
    if (!cli->command) {
        cli_error("no command given; usage: lfstool [OPTIONS] COMMAND ARGS... "
                "(try 'lfstool --help')");
        *status = EXIT_USAGE;
        return -1;
    }
    const struct command *c = cli->command;
    for (int i = 0; i < OPT_COUNT; i++) {
        if (given & ~c->options & OPTBIT(i)) {
            cli_error("%s does not take --%s (try 'lfstool %s --help')",
                    c->name, option_specs[i].long_name, c->name);
            *status = EXIT_USAGE;
            return -1;
        }
    }
    if (cli->nargs < c->min_args || cli->nargs > c->max_args) {
        cli_error("usage: lfstool %s [OPTIONS] %s (try 'lfstool %s --help')",
                c->name, c->synopsis, c->name);
        *status = EXIT_USAGE;
        return -1;
    }
    return 0;
}
