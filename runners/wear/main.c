/*
 * main.c - build/wear: runs a TOML workload until its flash wears out and
 * writes per-block counts, sampled wear over time and a summary; with a
 * list of values for one define, one run per value and a comparison.
 *
 * Each run is a forked child (the defines, traps and the wear run are
 * process globals; a crash or hang stays in its child). Children write
 * their figures into memory shared with the parent, which writes the
 * comparison. Assumes the generated registry defines torture_registry.
 */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "defines.h"
#include "output.h"
#include "run.h"

extern const struct torture_registry torture_registry;

#define MAX_VALUES 64

static const char usage[] =
"usage: %s [options] --out DIR CASE\n"
"\n"
"Runs the TOML workload CASE (a case that calls wear_iteration(), see\n"
"harness/wear.h) on an emulated device until it wears out, and writes into\n"
"DIR: blocks.csv (per-block erases, wear, progs, reads, bad), series.csv\n"
"(min/mean/max wear over time), series_blocks.csv (per-block wear over\n"
"time) and summary.json. With a list for one define (-D BLOCK_CYCLES=-1,10),\n"
"one run per value into DIR/VALUE/, and comparison.json / comparison.csv.\n"
"Draw them with scripts/wear_report.py DIR.\n"
"\n"
"  -D NAME=V[,V...]     set a define (integers); one define may take a list\n"
"  -G GEOMETRY          default (the default), eeprom, emmc, nor, nand, or\n"
"                       read,prog,erase,count\n"
"  --out DIR            where the outputs go (created)\n"
"  --seed S             device seed (default 0)\n"
"  --max-iterations N   safety cap on iterations (default 1000000)\n"
"  --samples N          wear samples kept over time (default 400; the\n"
"                       sampling interval doubles to stay under it)\n"
"  --until first-bad    stop at the first worn-out block (default: go on until\n"
"                       the filesystem fails, --until end)\n"
"  --timeout S          kill a run after S seconds (default 1800; 0: never)\n"
"  -j N                 runs at a time (default: online CPUs)\n"
"  -L                   list the cases that can be run\n"
"  -h                   this help\n"
"\n"
"Exit status: 0 when every run reached its end, 1 when a workload failed or a\n"
"run crashed, 2 on bad usage.\n";

struct cli {
    struct wear_request req;
    int list_define;            /* the define with several values, or -1 */
    intmax_t values[MAX_VALUES];
    size_t nvalues;
    unsigned timeout;
    long jobs;
};

static int bad_usage(const char *prog, const char *fmt, const char *arg) {
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see %s -h)\n", prog);
    return 2;
}

static int parse_int(const char *s, intmax_t *out) {
    char *end;
    errno = 0;
    intmax_t v = strtoimax(s, &end, 0);
    if (end == s || *end || errno) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out, uint64_t min) {
    intmax_t v;
    if (parse_int(s, &v) < 0 || v < (intmax_t)min) {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* NAME=V[,V...]. Returns 0 or -1 with err. */
static int parse_define(struct cli *cli, const char *arg, char *err, size_t errlen) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "-D %s: expected NAME=VALUE[,VALUE...]", arg);
        return -1;
    }
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
    int id = torture_define_lookup(name);
    if (id < 0) {
        snprintf(err, errlen, "-D %s: no define named %s in the compiled cases", arg, name);
        return -1;
    }
    intmax_t vals[MAX_VALUES];
    size_t n = 0;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", eq + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_VALUES || parse_int(tok, &vals[n]) < 0) {
            snprintf(err, errlen, n == MAX_VALUES ? "-D %s: more than 64 values"
                    : "-D %s: values must be integers", arg);
            return -1;
        }
        n++;
    }
    if (n == 0 || eq[1] == ',' || eq[strlen(eq) - 1] == ',') {
        snprintf(err, errlen, "-D %s: empty value", arg);
        return -1;
    }
    for (size_t i = 0; i < cli->req.noverrides; i++) {
        if (cli->req.overrides[i].define == id) {
            snprintf(err, errlen, "-D %s: %s given twice", arg, name);
            return -1;
        }
    }
    if (id == cli->list_define) {
        snprintf(err, errlen, "-D %s: %s given twice", arg, name);
        return -1;
    }
    if (n > 1) {
        if (cli->list_define >= 0) {
            snprintf(err, errlen, "-D %s: only one define may take a list (%s already does)",
                    arg, torture_define_name(cli->list_define));
            return -1;
        }
        cli->list_define = id;
        memcpy(cli->values, vals, n * sizeof(vals[0]));
        cli->nvalues = n;
        return 0;
    }
    if (cli->req.noverrides + 1 >= WEAR_MAX_OVERRIDES) {   /* a slot stays for the list */
        snprintf(err, errlen, "-D %s: too many defines", arg);
        return -1;
    }
    cli->req.overrides[cli->req.noverrides++] = (struct wear_override){id, vals[0]};
    return 0;
}

static const struct torture_case *find_case(const char *name) {
    const struct torture_registry *reg = &torture_registry;
    for (size_t s = 0; s < reg->suite_count; s++) {
        for (size_t c = 0; c < reg->suites[s]->case_count; c++) {
            if (strcmp(reg->suites[s]->cases[c].name, name) == 0) {
                return &reg->suites[s]->cases[c];
            }
        }
    }
    return NULL;
}

static void list_cases(void) {
    const struct torture_registry *reg = &torture_registry;
    for (size_t s = 0; s < reg->suite_count; s++) {
        for (size_t c = 0; c < reg->suites[s]->case_count; c++) {
            const struct torture_case *tc = &reg->suites[s]->cases[c];
            printf("%-32s %s:%d\n", tc->name, tc->file, tc->line);
        }
    }
}

static int mkdirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) < 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct cli *cli, const char **case_name) {
    const char *prog = argv[0];
    char err[1200];
    const char *geometry = "default";
    *case_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "-D") == 0 || strcmp(a, "-G") == 0 || strcmp(a, "--out") == 0
                || strcmp(a, "--seed") == 0 || strcmp(a, "--max-iterations") == 0
                || strcmp(a, "--samples") == 0 || strcmp(a, "--until") == 0
                || strcmp(a, "--timeout") == 0 || strcmp(a, "-j") == 0;
        if (takes && !v) {
            return bad_usage(prog, "%s needs a value", a);
        }
        uint64_t u;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf(usage, prog);
            exit(0);
        } else if (strcmp(a, "-L") == 0) {
            list_cases();
            exit(0);
        } else if (strcmp(a, "-D") == 0) {
            if (parse_define(cli, v, err, sizeof(err)) < 0) {
                return bad_usage(prog, "%s", err);
            }
        } else if (strcmp(a, "-G") == 0) {
            geometry = v;
        } else if (strcmp(a, "--out") == 0) {
            cli->req.out = v;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_u64(v, &cli->req.seed, 0) < 0) {
                return bad_usage(prog, "--seed %s: expected a non-negative integer", v);
            }
        } else if (strcmp(a, "--max-iterations") == 0) {
            if (parse_u64(v, &cli->req.opt.max_iterations, 1) < 0) {
                return bad_usage(prog, "--max-iterations %s: expected a positive integer", v);
            }
        } else if (strcmp(a, "--samples") == 0) {
            if (parse_u64(v, &u, 2) < 0 || u > 100000) {
                return bad_usage(prog, "--samples %s: expected 2..100000", v);
            }
            cli->req.opt.max_samples = (size_t)u;
        } else if (strcmp(a, "--until") == 0) {
            if (strcmp(v, "first-bad") != 0 && strcmp(v, "end") != 0) {
                return bad_usage(prog, "--until %s: expected first-bad or end", v);
            }
            cli->req.opt.until_first_bad = strcmp(v, "first-bad") == 0;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_u64(v, &u, 0) < 0 || u > 1000000) {
                return bad_usage(prog, "--timeout %s: expected 0..1000000 seconds", v);
            }
            cli->timeout = (unsigned)u;
        } else if (strcmp(a, "-j") == 0) {
            if (parse_u64(v, &u, 1) < 0 || u > 1024) {
                return bad_usage(prog, "-j %s: expected 1..1024", v);
            }
            cli->jobs = (long)u;
        } else if (a[0] == '-') {
            return bad_usage(prog, "unknown option %s", a);
        } else if (*case_name) {
            return bad_usage(prog, "one CASE only (got a second: %s)", a);
        } else {
            *case_name = a;
        }
        if (takes) {
            i++;
        }
    }
    if (!*case_name) {
        return bad_usage(prog, "%s", "no CASE given (list them with -L)");
    }
    if (!cli->req.out) {
        return bad_usage(prog, "%s", "--out DIR is required");
    }
    cli->req.tcase = find_case(*case_name);
    if (!cli->req.tcase) {
        return bad_usage(prog, "no case named %s (list them with -L)", *case_name);
    }
    if (torture_geometry_parse(geometry, &cli->req.geometry, err, sizeof(err)) < 0) {
        return bad_usage(prog, "-G: %s", err);
    }
    return 0;
}

struct job {
    pid_t pid;
    char dir[4096];
    char rel[64];
    char problem[256];
    bool has_problem;
};

/* Waits for one child; records how it ended. */
static void reap(struct job *jobs, size_t n, unsigned timeout, const struct wear_metrics *m) {
    int status;
    pid_t pid;
    while ((pid = wait(&status)) < 0 && errno == EINTR) {
    }
    for (size_t i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        if (j->pid != pid || pid <= 0) {
            continue;
        }
        j->pid = 0;
        if (WIFSIGNALED(status)) {
            j->has_problem = true;
            if (WTERMSIG(status) == SIGALRM) {
                snprintf(j->problem, sizeof(j->problem), "timed out after %u s", timeout);
            } else {
                snprintf(j->problem, sizeof(j->problem), "crashed: signal %d (%s)",
                        WTERMSIG(status), strsignal(WTERMSIG(status)));
            }
        } else if (!m[i].done) {
            j->has_problem = true;
            snprintf(j->problem, sizeof(j->problem), "exited with status %d without writing "
                    "its outputs (a sanitizer report on stderr?)", WEXITSTATUS(status));
        } else if (WEXITSTATUS(status) == 1) {
            j->has_problem = true;
            snprintf(j->problem, sizeof(j->problem), "the workload failed (see %.200s/summary.json)",
                    j->dir);
        } else if (WEXITSTATUS(status) != 0) {
            j->has_problem = true;
            snprintf(j->problem, sizeof(j->problem), "could not run (exit status %d)",
                    WEXITSTATUS(status));
        }
        return;
    }
}

static void print_outcome(const struct cli *cli, size_t i, const struct job *j,
        const struct wear_metrics *m) {
    char label[160] = "";
    if (cli->list_define >= 0) {
        snprintf(label, sizeof(label), " %s=%jd", torture_define_name(cli->list_define),
                cli->values[i]);
    }
    if (!m->done) {
        printf("%s%s: %s\n", cli->req.tcase->name, label, j->problem);
        return;
    }
    printf("%s%s: %" PRIu64 " iterations, ", cli->req.tcase->name, label, m->iterations);
    if (m->first_bad.reached) {
        printf("first bad block at %" PRIu64 ", ", m->first_bad.iteration);
    } else {
        printf("no bad block, ");
    }
    if (m->fs_end.reached) {
        printf("filesystem ended at %" PRIu64 " (error %d)", m->fs_end.iteration, m->fs_end.err);
    } else {
        printf("filesystem did not end (%s)", m->end == WEAR_END_CAP ? "iteration cap"
                : m->end == WEAR_END_FIRST_BAD ? "--until first-bad"
                : m->end == WEAR_END_FAILED ? "workload failed" : "workload returned");
    }
    printf(", max/mean wear %.2f%s%s\n", m->stats.mean > 0 ? m->stats.max / m->stats.mean : 0.0,
            j->has_problem ? ": " : "", j->has_problem ? j->problem : "");
}

int main(int argc, char **argv) {
    const struct torture_registry *reg = &torture_registry;
    if (torture_defines_init(reg->define_names, reg->define_count) < 0) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 2;
    }
    static struct cli cli;
    cli.list_define = -1;
    cli.timeout = 1800;
    cli.req.opt = (struct wear_options){.max_iterations = 1000000, .max_samples = 400,
            .interval = 1};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cli.jobs = cpus > 0 ? cpus : 1;
    const char *case_name;
    int r = parse_args(argc, argv, &cli, &case_name);
    if (r) {
        return r;
    }
    bool compare = cli.list_define >= 0;
    size_t n = compare ? cli.nvalues : 1;
    if (mkdirs(cli.req.out) < 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", argv[0], cli.req.out, strerror(errno));
        return 2;
    }
    struct wear_metrics *m = mmap(NULL, n * sizeof(*m), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static struct job jobs[MAX_VALUES];
    if (m == MAP_FAILED) {
        fprintf(stderr, "%s: mmap: %s\n", argv[0], strerror(errno));
        return 2;
    }
    memset(m, 0, n * sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        if (compare) {
            snprintf(jobs[i].rel, sizeof(jobs[i].rel), "%jd", cli.values[i]);
            snprintf(jobs[i].dir, sizeof(jobs[i].dir), "%s/%s", cli.req.out, jobs[i].rel);
        } else {
            snprintf(jobs[i].rel, sizeof(jobs[i].rel), ".");
            snprintf(jobs[i].dir, sizeof(jobs[i].dir), "%s", cli.req.out);
        }
        if (mkdirs(jobs[i].dir) < 0) {
            fprintf(stderr, "%s: cannot create %s: %s\n", argv[0], jobs[i].dir, strerror(errno));
            return 2;
        }
    }
    fflush(stdout);
    size_t running = 0;
    for (size_t i = 0; i < n; i++) {
        if (running == (size_t)cli.jobs) {
            reap(jobs, n, cli.timeout, m);
            running--;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "%s: fork: %s\n", argv[0], strerror(errno));
            return 2;
        }
        if (pid == 0) {
            struct wear_request req = cli.req;
            req.out = jobs[i].dir;
            if (compare) {
                req.overrides[req.noverrides++] = (struct wear_override){cli.list_define,
                        cli.values[i]};
            }
            alarm(cli.timeout);
            int status = wear_run_one(&req, &m[i]);
            fflush(NULL);
            _exit(status);
        }
        jobs[i].pid = pid;
        running++;
    }
    while (running--) {
        reap(jobs, n, cli.timeout, m);
    }
    int rc = 0;
    struct wear_compared compared[MAX_VALUES];
    for (size_t i = 0; i < n; i++) {
        print_outcome(&cli, i, &jobs[i], &m[i]);
        rc |= jobs[i].has_problem;
        compared[i] = (struct wear_compared){compare ? cli.values[i] : 0, jobs[i].rel,
                jobs[i].has_problem ? jobs[i].problem : NULL, &m[i]};
    }
    if (compare && wear_write_comparison(cli.req.out, cli.req.tcase->name,
                torture_define_name(cli.list_define), compared, n) < 0) {
        rc = 1;
    }
    return rc;
}
