/*
 * lfs_path.c - path parsing: splitting a path into the names a lookup
 * must match, the way littlefs reads paths.
 *
 * Separators are '/', repeated or trailing ones are allowed after a
 * directory, "." names are skipped, and a name followed (later in the
 * path) by a ".." that cancels it is skipped together with that "..", so
 * "a/b/../c" looks up "a" then "c" and never "b".  A ".." that would climb
 * above the starting directory is LFS_ERR_INVAL.  Pure string work: no
 * disk access, no allocation.
 */
#include "lfs_internal.h"

/* Move *path to the next name to look up and return its length, or 0 when
 * the path is used up (*path then points at what remains: "" if the path
 * ended cleanly).  isdir: the entry reached so far is a directory, so
 * separators may be skipped. */
lfs_ssize_t lfs_path_next(const char **path, bool isdir) {
    const char *name = *path;

    while (true) {
        if (isdir) {
            name += strspn(name, "/");
        }
        size_t namelen = strcspn(name, "/");

        if (namelen == 1 && name[0] == '.') {
            name += namelen;
            continue;
        }
        if (namelen == 2 && name[0] == '.' && name[1] == '.') {
            return LFS_ERR_INVAL;
        }

        // is this name cancelled by a ".." further on?
        const char *suffix = name + namelen;
        size_t depth = 1;
        bool cancelled = false;
        while (true) {
            suffix += strspn(suffix, "/");
            size_t sufflen = strcspn(suffix, "/");
            if (sufflen == 0) {
                break;
            }
            if (sufflen == 2 && suffix[0] == '.' && suffix[1] == '.') {
                depth -= 1;
                if (depth == 0) {
                    name = suffix + sufflen;
                    cancelled = true;
                    break;
                }
            } else if (!(sufflen == 1 && suffix[0] == '.')) {
                depth += 1;
            }
            suffix += sufflen;
        }
        if (cancelled) {
            continue;
        }

        *path = name;
        // reached only by a single name longer than 2 GiB (no test makes one)
        if (namelen > 0x7fffffff) {
            return LFS_ERR_NAMETOOLONG;
        }
        return (lfs_ssize_t)namelen;
    }
}
