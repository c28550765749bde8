/*
 * cli.h - lfstool's command line: the options every command may take, the
 * command table, and the parser that turns argv into a struct cli.
 */
#ifndef LFSTOOL_CLI_H
#define LFSTOOL_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses. */
#define EXIT_OK     0
#define EXIT_FAIL   1   /* the image, a path in it or a host file failed */
#define EXIT_USAGE  2   /* bad command line */

/* Every option lfstool knows; a command lists the ones it takes. */
enum cli_option {
    OPT_HELP,
    OPT_BLOCK_SIZE,
    OPT_BLOCK_COUNT,
    OPT_READ_SIZE,
    OPT_PROG_SIZE,
    OPT_RECURSIVE,
    OPT_MANIFEST,
    OPT_DISK_VERSION,
    OPT_NAME_MAX,
    OPT_FILE_MAX,
    OPT_ATTR_MAX,
    OPT_PARENTS,
    OPT_JSON,
    OPT_REPAIR,
    OPT_COUNT
};

#define OPTBIT(o) (1u << (o))
#define GEOMETRY_OPTIONS (OPTBIT(OPT_BLOCK_SIZE) | OPTBIT(OPT_BLOCK_COUNT) \
        | OPTBIT(OPT_READ_SIZE) | OPTBIT(OPT_PROG_SIZE))

/* Geometry given on the command line; 0 means "not given". */
struct geometry_opts {
    uint32_t block_size;
    uint32_t block_count;
    uint32_t read_size;
    uint32_t prog_size;
};

#define CLI_MAX_ARGS 8

struct cli {
    const struct command *command;
    struct geometry_opts geometry;
    bool recursive;
    bool parents;               /* -p: make missing parent directories */
    bool json;                  /* --json: machine-readable output */
    bool repair;                /* fsck --repair: write a repaired copy */
    const char *manifest;       /* --manifest FILE, or NULL */
    uint32_t disk_version;      /* --disk-version as 0x00020000/1; 0: not given */
    uint32_t name_max, file_max, attr_max;  /* format limits; 0: not given */
    const char *args[CLI_MAX_ARGS];
    int nargs;
};

struct command {
    const char *name;
    const char *synopsis;       /* arguments after the command name */
    const char *summary;        /* one line for the command list */
    const char *help;           /* the rest of `lfstool CMD --help` */
    unsigned options;           /* OPTBIT()s beyond --help */
    int min_args, max_args;
    int (*run)(const struct cli *cli);
};

/* The command table, NULL-name terminated (commands.c). */
extern const struct command lfstool_commands[];

/* Parses argv. Returns -1 when the run is over before any command ran
 * (help printed: *status = 0; usage error printed: *status = EXIT_USAGE),
 * else 0 with *cli filled in. */
int cli_parse(int argc, char **argv, struct cli *cli, int *status);

/* Prints "lfstool: " and the message to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
