/*
 * host_dir.c - the host directory that unpack and salvage write into: new,
 * or existing and empty, so that nothing already there is mixed with or
 * overwritten by what they write. Assumes POSIX directories.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "host_dir.h"

int host_dir_make_empty(const char *dir)
{
    if (mkdir(dir, 0777) == 0) {
        return 0;
    }
    if (errno != EEXIST) {
        cli_error("%s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int result = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            cli_error("%s: exists and is not empty", dir);
            result = -1;
            break;
        }
    }
    closedir(d);
    return result;
}
