/*
 * bench_torture.c - crash points checked per second under -P every, for a
 * device case of about 100 and about 1,000 write ops.
 *
 * The case is the append-only log of cases/device/log.toml, in C: N records,
 * each a prog and a sync, plus one erase per block. The harness engine runs
 * in-process (no fork), as a worker of build/torture does. Three ways are
 * timed: building each crashed state only (a judge that just hashes it),
 * building it and judging it by restart (upstream's check: the case runs
 * again from the top), and the replay construction (a fresh run up to the
 * cut, used for out-of-order faults and wear limits). Building a state from
 * a snapshot costs the same whatever the run's length, so checking every
 * crash point grows linearly with the writes; a restart judge or a replay
 * costs a whole run per point, so it grows quadratically.
 *
 * Then the crash oracle (the default judge) on a filesystem case: a file
 * appended to and synced N times, about 100 and 1,000 write ops: crash
 * points judged per second, unique crashed devices against crash points
 * (dedup), and -P depth:2 against every. Last, if build/torture sits beside
 * this program and --no-suite is not given, the time of `-P every` with all
 * six fault models on every suite at the default geometry on 2 workers (a
 * subprocess; the figure the README quotes).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "defines.h"
#include "device.h"
#include "geometry.h"
#include "judge.h"
#include "schedule.h"
#include "torture_case.h"
/* the filesystem case's calls are operations the oracle sees */
#include "torture_api.h"

static uint32_t records;    /* N of the case being timed */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
            | (uint32_t)p[3] << 24;
}

static uint32_t check(const uint8_t *p) {
    return (get32(p) * 2654435761u) ^ (get32(p + 4) * 40503u) ^ 0x5a5a5a5au;
}

/* The log: 16-byte slots (magic, seq, check, zero); erased = end. */
static void log_case(struct lfs_config *cfg) {
    const uint32_t slot = 16, per = cfg->block_size / slot;
    uint8_t buf[16];
    uint32_t count = 0, next = 0;
    for (;; next++) {
        if (next == per * cfg->block_count) {
            torture_fail(__FILE__, __LINE__, "log full");
        }
        if (cfg->read(cfg, next / per, (next % per) * slot, buf, slot)) {
            torture_fail(__FILE__, __LINE__, "read failed");
        }
        uint32_t erased = 0;
        while (erased < slot && buf[erased] == 0xff) {
            erased++;
        }
        if (erased == slot) {
            break;
        }
        if (get32(buf) == 0x474f4c42u && get32(buf + 8) == check(buf)
                && get32(buf + 4) == count) {
            count++;
        }
    }
    for (; count < records; count++, next++) {
        if (next % per == 0 && cfg->erase(cfg, next / per)) {
            torture_fail(__FILE__, __LINE__, "erase failed");
        }
        memset(buf, 0, sizeof(buf));
        put32(buf, 0x474f4c42u);
        put32(buf + 4, count);
        put32(buf + 8, check(buf));
        if (cfg->prog(cfg, next / per, (next % per) * slot, buf, slot) || cfg->sync(cfg)) {
            torture_fail(__FILE__, __LINE__, "prog failed");
        }
    }
}

static const struct torture_case bench_case = {
    .name = "bench_log", .suite = "bench", .file = __FILE__, .line = __LINE__,
    .run = log_case, .reentrant = true, .permutations = 1,
};

/* The filesystem case: `records` appends of 16 bytes to one file, each
 * synced, after a format and mount. */
static void fs_log_case(struct lfs_config *cfg) {
    lfs_t lfs;
    lfs_file_t f;
    uint8_t rec[16];
    if (lfs_format(&lfs, cfg) || lfs_mount(&lfs, cfg)
            || lfs_file_open(&lfs, &f, "log", LFS_O_WRONLY | LFS_O_CREAT)) {
        torture_fail(__FILE__, __LINE__, "format, mount or open failed");
    }
    for (uint32_t i = 0; i < records; i++) {
        memset(rec, 'a' + (int)(i % 26), sizeof(rec));
        if (lfs_file_write(&lfs, &f, rec, sizeof(rec)) != (lfs_ssize_t)sizeof(rec)
                || lfs_file_sync(&lfs, &f)) {
            torture_fail(__FILE__, __LINE__, "append failed");
        }
    }
    if (lfs_file_close(&lfs, &f) || lfs_unmount(&lfs)) {
        torture_fail(__FILE__, __LINE__, "close or unmount failed");
    }
}

static const struct torture_case fs_case = {
    .name = "bench_fs_log", .suite = "bench", .file = __FILE__, .line = __LINE__,
    .run = fs_log_case, .permutations = 1,
};

/* Accepts every state after looking at all of it (its hash). */
static bool judge_state_only(const struct torture_case *c, struct torture_dev *dev,
        char *msg, size_t msglen) {
    (void)c;
    (void)msg;
    (void)msglen;
    return bd_emu_hash(dev->bd) != 1;   /* 1 only by a 2^-64 accident */
}

static const struct torture_judge state_only = {"state-only", judge_state_only};

struct tally {
    uint64_t points, failures, writes, unique, nested;
    char first_failure[512];
};

static void on_outcome(void *ctx, const struct torture_outcome *o) {
    struct tally *t = ctx;
    t->points += o->cuts;
    t->unique += o->cut && o->unique;
    t->nested += o->cut && strchr(o->schedule, '.') != NULL;
    if (o->verdict == TORTURE_FAIL && !t->failures++) {
        snprintf(t->first_failure, sizeof(t->first_failure), "%s: %s", o->schedule,
                o->message ? o->message : "");
    }
    if (o->cut && o->cut_write > t->writes) {
        t->writes = o->cut_write;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct result {
    uint64_t writes, points, unique, nested;
    double seconds, per_second, us_per_point;
};

static int measure_case(const struct torture_case *tc, uint32_t n,
        const struct torture_judge *judge, enum bd_emu_fault fault, unsigned depth,
        struct result *r) {
    records = n;
    torture_defines_reset();
    torture_geometry_apply(&torture_geometries[0]);
    struct tally t = {0};
    struct torture_sink sink = {.ctx = &t, .outcome = on_outcome};
    struct torture_exec x = {.tcase = tc, .fault = fault, .seed = 1,
            .judge = judge, .sink = &sink};
    char err[256];
    if (torture_dev_config(&x.bdcfg, &x.cfg, 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_torture: %s\n", err);
        return -1;
    }
    struct torture_schedule every = {.kind = TORTURE_SCHED_EVERY, .depth = depth};
    double start = now(), elapsed;
    unsigned reps = 0;
    do {
        t.points = t.unique = t.nested = 0;
        torture_execute(&x, &every);
        reps++;
        elapsed = now() - start;
    } while (elapsed < 0.4);
    if (t.failures) {
        fprintf(stderr, "bench_torture: %llu crash points failed (first: %s); the "
                "bench case or the core is broken\n", (unsigned long long)t.failures,
                t.first_failure);
        return -1;
    }
    r->writes = t.writes;
    r->points = t.points;
    r->unique = t.unique;
    r->nested = t.nested;
    r->seconds = elapsed / reps;
    r->per_second = (double)t.points * reps / elapsed;
    r->us_per_point = 1e6 / r->per_second;
    return 0;
}

static int measure(uint32_t n, const struct torture_judge *judge, enum bd_emu_fault fault,
        struct result *r) {
    return measure_case(&bench_case, n, judge, fault, 1, r);
}

/* Times `-P every` with the six fault models over every suite compiled
 * into `torture` at the default geometry, on 2 workers. */
static int time_full_suite(const char *torture) {
    char *const argv[] = {(char *)torture, "-P", "every", "-G", "default", "-F",
            "atomic,torn-prefix,torn-bits,metastable,partial-erase,ooo", "-j", "2", "-q",
            NULL};
    printf("full suite: %s -P every -G default -F atomic,torn-prefix,torn-bits,"
            "metastable,partial-erase,ooo -j 2 -q\n", torture);
    fflush(stdout);
    double start = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_torture: fork");
        return -1;
    }
    if (pid == 0) {
        execv(torture, argv);
        perror("bench_torture: exec");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("bench_torture: waitpid");
        return -1;
    }
    double elapsed = now() - start;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    printf("  wall time %.1f s on 2 workers (exit status %d%s)\n", elapsed, rc,
            rc == 0 ? ", all passed" : rc == 1 ? ", some failed: see above" : "");
    return 0;
}

static int bench_oracle(void) {
    /* 17 and 116 appends: about 100 and 1,000 write ops */
    static const uint32_t sizes[] = {17, 116};
    struct result every[2], depth2;
    printf("\nbench_torture: the crash oracle on a filesystem case (a file appended "
            "16 B and synced N times), default geometry, atomic cuts, in-process\n");
    printf("  %-22s %7s %7s %7s %9s %11s %9s %9s\n", "mode", "writes", "points", "unique",
            "s/run", "points/s", "us/point", "unique%");
    for (size_t s = 0; s < 2; s++) {
        if (measure_case(&fs_case, sizes[s], &torture_judge_oracle, BD_EMU_FAULT_ATOMIC, 1,
                &every[s]) < 0) {
            return -1;
        }
    }
    if (measure_case(&fs_case, sizes[0], &torture_judge_oracle, BD_EMU_FAULT_ATOMIC, 2,
            &depth2) < 0) {
        return -1;
    }
    const struct result *rows[] = {&every[0], &every[1], &depth2};
    const char *names[] = {"oracle, every", "oracle, every", "oracle, depth:2"};
    for (size_t i = 0; i < 3; i++) {
        const struct result *r = rows[i];
        printf("  %-22s %7llu %7llu %7llu %9.4f %11.0f %9.2f %8.1f%%\n", names[i],
                (unsigned long long)r->writes, (unsigned long long)r->points,
                (unsigned long long)r->unique, r->seconds, r->per_second, r->us_per_point,
                r->points ? 100.0 * (double)r->unique / (double)r->points : 0.0);
    }
    printf("oracle cost per crash point at ~1,000 writes / at ~100 writes "
            "(1 = linear total cost): x%.1f\n",
            every[1].us_per_point / every[0].us_per_point);
    printf("dedup: %llu unique crashed devices of %llu crash points at ~100 writes, "
            "%llu of %llu at ~1,000\n", (unsigned long long)every[0].unique,
            (unsigned long long)every[0].points, (unsigned long long)every[1].unique,
            (unsigned long long)every[1].points);
    printf("depth:2 against every (~100 writes): %llu crash points (%llu nested) against "
            "%llu, %.1fx the time (%.4f s against %.4f s)\n",
            (unsigned long long)depth2.points, (unsigned long long)depth2.nested,
            (unsigned long long)every[0].points, depth2.seconds / every[0].seconds,
            depth2.seconds, every[0].seconds);
    return 0;
}

int main(int argc, char **argv) {
    bool suite = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-suite") == 0) {
            suite = false;
        } else {
            fprintf(stderr, "usage: %s [--no-suite]\n", argv[0]);
            return 2;
        }
    }
    static const char *const names[TD_IMPLICIT_COUNT] = {
        "READ_SIZE", "PROG_SIZE", "ERASE_SIZE", "ERASE_COUNT", "BLOCK_SIZE",
        "BLOCK_COUNT", "CACHE_SIZE", "LOOKAHEAD_SIZE", "COMPACT_THRESH",
        "METADATA_MAX", "INLINE_MAX", "BLOCK_CYCLES", "ERASE_VALUE", "ERASE_CYCLES",
        "BADBLOCK_BEHAVIOR", "POWERLOSS_BEHAVIOR", "DISK_VERSION",
    };
    if (torture_defines_init(names, TD_IMPLICIT_COUNT) < 0) {
        return 1;
    }
    static const struct {
        const char *what;
        const struct torture_judge *judge;
        enum bd_emu_fault fault;
    } modes[] = {
        {"build state only (snapshot)", &state_only, BD_EMU_FAULT_ATOMIC},
        {"restart judge (snapshot)", &torture_judge_restart, BD_EMU_FAULT_ATOMIC},
        {"build state only (replay)", &state_only, BD_EMU_FAULT_OUT_OF_ORDER},
    };
    /* 49 and 490 records: about 100 and 1,000 write ops */
    static const uint32_t sizes[] = {49, 490};
    struct result res[3][2];
    printf("bench_torture: -P every on a device append log, default geometry "
            "(16/16/512/2048), in-process\n");
    printf("  %-30s %7s %7s %9s %11s %9s\n", "mode", "writes", "points", "s/run",
            "points/s", "us/point");
    for (size_t m = 0; m < 3; m++) {
        for (size_t s = 0; s < 2; s++) {
            if (measure(sizes[s], modes[m].judge, modes[m].fault, &res[m][s]) < 0) {
                return 1;
            }
            struct result *r = &res[m][s];
            printf("  %-30s %7llu %7llu %9.4f %11.0f %9.2f\n", modes[m].what,
                    (unsigned long long)r->writes, (unsigned long long)r->points,
                    r->seconds, r->per_second, r->us_per_point);
        }
    }
    printf("cost per crash point at ~1,000 writes / at ~100 writes "
            "(1 = linear total cost, 10 = quadratic):\n");
    for (size_t m = 0; m < 3; m++) {
        printf("  %-30s x%.1f\n", modes[m].what, res[m][1].us_per_point / res[m][0].us_per_point);
    }
    if (bench_oracle() < 0) {
        return 1;
    }
    if (suite) {
        /* build/torture beside build/bench_torture */
        char torture[4096];
        const char *slash = strrchr(argv[0], '/');
        int dirlen = slash ? (int)(slash - argv[0]) : 1;
        snprintf(torture, sizeof(torture), "%.*s/torture", dirlen, slash ? argv[0] : ".");
        if (access(torture, X_OK) == 0) {
            if (time_full_suite(torture) < 0) {
                return 1;
            }
        } else {
            printf("full suite: %s not built; skipped\n", torture);
        }
    }
    return 0;
}
