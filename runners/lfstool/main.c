/*
 * main.c - lfstool: inspects littlefs images through brownout's core.
 * Parses the command line (cli.c) and runs the command (commands.c).
 */
#include "cli.h"

int main(int argc, char **argv)
{
    struct cli cli;
    int status;
    if (cli_parse(argc, argv, &cli, &status) < 0) {
        return status;
    }
    return cli.command->run(&cli);
}
