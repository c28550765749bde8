/*
 * fsck_run.c - runs `lfstool fsck` on a failure's saved image and sums up
 * its findings for the failure report.
 *
 * lfstool is exec'd, not linked: a crash or hang of the checker on a badly
 * damaged image cannot take the runner with it, and a build without
 * lfstool still runs (the report says fsck did not run). Assumes lfstool's
 * exit statuses: 0 clean, 1 needs mount-time repair, 2 corrupt, 3 not
 * littlefs or unreadable.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsck_run.h"

#define FSCK_OUTPUT_MAX 65536
#define FSCK_SUMMARY_LINES 12

const char *torture_lfstool_path(void) {
    static char path[PATH_MAX];
    const char *env = getenv("TORTURE_LFSTOOL");
    if (env && *env) {
        return access(env, X_OK) == 0 ? env : NULL;
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
    if (n <= 0) {
        return NULL;
    }
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) {
        return NULL;
    }
    strcpy(slash + 1, "lfstool");
    return access(path, X_OK) == 0 ? path : NULL;
}

static const char *meaning(int status) {
    switch (status) {
    case 0: return "clean";
    case 1: return "consistent, needs mount-time repair";
    case 2: return "corrupt: data lost or unreachable";
    case 3: return "not a littlefs image, or unreadable";
    default: return "unexpected exit status";
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the child's output until EOF or the deadline; returns bytes read,
 * or -1 on timeout. */
static long collect(int fd, char *buf, size_t cap, double deadline) {
    size_t used = 0;
    for (;;) {
        double left = deadline - now();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r == 0 ? -1 : (long)used;
        }
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            buf[used] = '\0';
            return (long)used;
        }
        size_t keep = (size_t)n < cap - 1 - used ? (size_t)n : cap - 1 - used;
        memcpy(buf + used, tmp, keep);
        used += keep;
    }
}

void torture_fsck_image(const char *lfstool, const char *image, const char *save,
        unsigned seconds, char *out, size_t outlen) {
    if (!lfstool) {
        snprintf(out, outlen, "not run: no lfstool beside this program "
                "(build it, or set TORTURE_LFSTOOL)");
        return;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        snprintf(out, outlen, "not run: pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(out, outlen, "not run: fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        execl(lfstool, "lfstool", "fsck", image, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    static char text[FSCK_OUTPUT_MAX];
    long n = collect(fds[0], text, sizeof(text), now() + seconds);
    close(fds[0]);
    if (n < 0) {
        kill(pid, SIGKILL);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (n < 0) {
        snprintf(out, outlen, "not run: %s fsck took more than %u s (killed)", lfstool,
                seconds);
        return;
    }
    if (save) {
        FILE *f = fopen(save, "w");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) == 127) {
        snprintf(out, outlen, "not run: %s %s", lfstool,
                WIFEXITED(ws) ? "could not be executed" : "died on a signal");
        return;
    }
    int st = WEXITSTATUS(ws);
    size_t used = (size_t)snprintf(out, outlen, "status %d (%s)\n", st, meaning(st));
    const char *p = text;
    int lines = 0, total = 0;
    for (const char *q = text; *q; q++) {
        total += *q == '\n' || (q[1] == '\0');
    }
    while (*p && lines < FSCK_SUMMARY_LINES && used < outlen) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        used += (size_t)snprintf(out + used, outlen - used, "%.*s\n", len, p);
        p += len + (nl ? 1 : 0);
        lines++;
    }
    if (total > lines && used < outlen) {
        snprintf(out + used, outlen - used, "... %d more lines%s%s\n", total - lines,
                save ? " in " : "", save ? save : "");
    }
}
