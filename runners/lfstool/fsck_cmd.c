/*
 * fsck_cmd.c - `lfstool fsck [--json] IMAGE` and `lfstool fsck --repair
 * IMAGE OUT`: runs the check (fsck_check.c) and prints its findings, or
 * writes a repaired copy (fsck_repair.c). The exit status is the check's:
 * 0 clean, 1 needs the mount-time repair, 2 corrupt, 3 not littlefs.
 */
#include <stdio.h>

#include "commands.h"
#include "fsck.h"

int cmd_fsck(const struct cli *cli)
{
    if (cli->repair) {
        if (cli->nargs != 2) {
            cli_error("usage: lfstool fsck --repair IMAGE OUT");
            return EXIT_USAGE;
        }
        return fsck_repair(cli->args[0], cli->args[1], &cli->geometry);
    }
    if (cli->nargs != 1) {
        cli_error("usage: lfstool fsck [--json] IMAGE (OUT only with --repair)");
        return EXIT_USAGE;
    }
    struct fsck_report r;
    int status = fsck_run(cli->args[0], &cli->geometry, &r);
    if (cli->json) {
        fsck_report_json(stdout, &r, cli->args[0]);
    } else {
        fsck_report_print(stdout, &r, cli->args[0]);
    }
    fsck_report_free(&r);
    return status;
}
