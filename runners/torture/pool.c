/*
 * pool.c - the parent: forks a worker per unit, reads its records and its
 * output, enforces the no-progress timeout, turns abnormal endings into
 * failures with the right id, restarts units past a crashed crash point,
 * and releases finished units to the reporter in plan order.
 *
 * Assumes POSIX fork/pipe/poll and an anonymous shared mapping for the
 * workers' progress slots. Kills only its own workers, by pid.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"
#include "wire.h"
#include "worker.h"

#define OUTPUT_MAX (64 * 1024)
#define MAX_RESTARTS 8

struct worker {
    pid_t pid;                  /* 0: free */
    size_t unit;
    int rfd, ofd;               /* records, output; -1 once at EOF */
    struct wire_buf in, frame;
    bool got_end;
    bool timed_out;
    bool stopped;               /* killed by --fail-fast */
    uint64_t seen_progress;
    double last_progress;
    char *output;               /* the last OUTPUT_MAX bytes */
    size_t outlen;
    bool output_truncated;
};

struct pool {
    const struct torture_options *opt;
    struct torture_plan *plan;
    struct reporter *rep;
    struct unit_results *results;
    struct worker *workers;
    struct worker_slot *slots;
    size_t *restart_queue;
    size_t nrestart;
    size_t next_unit, next_report;
    bool stop;
};

static struct unit_results *ur_of(struct pool *p, struct worker *w) {
    return &p->results[w->unit];
}

static void oom(void) {
    fprintf(stderr, "torture: out of memory\n");
    exit(2);
}

static char *xstrdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) {
        oom();
    }
    return d;
}

static void replace(char **dst, const char *s) {
    free(*dst);
    *dst = xstrdup(s);
}

static bool multi_point(const struct torture_unit *u) {
    return u->schedule.kind == TORTURE_SCHED_EVERY || u->schedule.kind == TORTURE_SCHED_RANDOM;
}

/* Keeps a failure, or any outcome that --json or -v will show; counts the
 * rest. A unit of many crash points remembers every point reported, so a
 * restarted worker can skip them. */
static void add_result(struct pool *p, struct torture_unit *u, struct unit_results *ur,
        const struct result *r) {
    if (multi_point(u) && strset_add(&u->done, r->schedule) < 0) {
        oom();
    }
    ur->unique += r->unique;
    ur->sdc += r->sdc;
    ur->rollbacks += r->rollbacks;
    ur->unsettled += r->unsettled;
    if (r->verdict == TORTURE_FAIL || p->opt->json || p->opt->verbosity > 0) {
        if (unit_results_add(ur, r) < 0) {
            oom();
        }
    } else {
        ur->passed += r->verdict == TORTURE_PASS;
        ur->skipped += r->verdict == TORTURE_SKIP;
        ur->cuts += r->cuts;
    }
    if (r->verdict == TORTURE_FAIL && p->opt->fail_fast) {
        p->stop = true;
    }
}

static uint64_t num(const struct wire_frame *f, const char *key) {
    const char *v = wire_get(f, key);
    return v ? strtoull(v, NULL, 10) : 0;
}

static void handle_frame(struct pool *p, struct worker *w, const struct wire_frame *f) {
    struct unit_results *ur = ur_of(p, w);
    const char *t = wire_get(f, "t");
    if (!t) {
        return;
    }
    if (*t == 'H') {
        replace(&ur->prefix, wire_get(f, "p"));
        replace(&ur->suffix, wire_get(f, "q"));
        replace(&ur->defines, wire_get(f, "dd"));
        replace(&ur->all_defines, wire_get(f, "d"));
        replace(&ur->fault, wire_get(f, "f"));
        replace(&ur->construction, wire_get(f, "x"));
    } else if (*t == 'E') {
        w->got_end = true;
    } else if (*t == 'O') {
        const char *v = wire_get(f, "r");
        struct result r = {
            .id = (char *)wire_get(f, "id"),
            .schedule = (char *)wire_get(f, "s"),
            .verdict = !v ? TORTURE_FAIL : strcmp(v, "pass") == 0 ? TORTURE_PASS
                    : strcmp(v, "skip") == 0 ? TORTURE_SKIP : TORTURE_FAIL,
            .message = (char *)wire_get(f, "m"),
            .note = (char *)wire_get(f, "n"),
            .images = (char *)wire_get(f, "i"),
            .fsck = (char *)wire_get(f, "fk"),
            .cuts = num(f, "k"),
            .unique = num(f, "u") != 0,
            .sdc = num(f, "z"),
            .rollbacks = num(f, "rb"),
            .unsettled = num(f, "us"),
        };
        if (!r.id || !r.schedule) {
            return;
        }
        const char *ck = wire_get(f, "ck");
        if (ck) {
            r.cut = true;
            snprintf(r.cut_kind, sizeof(r.cut_kind), "%s", ck);
            r.cut_block = num(f, "cb");
            r.cut_off = num(f, "co");
            r.cut_size = num(f, "cs");
            r.cut_write = num(f, "cw");
        }
        add_result(p, &p->plan->units[w->unit], ur, &r);
    }
}

static void keep_output(struct worker *w, const char *buf, size_t n) {
    if (n >= OUTPUT_MAX) {
        buf += n - OUTPUT_MAX;
        n = OUTPUT_MAX;
        w->outlen = 0;
        w->output_truncated = true;
    } else if (w->outlen + n > OUTPUT_MAX) {
        size_t drop = w->outlen + n - OUTPUT_MAX;
        memmove(w->output, w->output + drop, w->outlen - drop);
        w->outlen -= drop;
        w->output_truncated = true;
    }
    memcpy(w->output + w->outlen, buf, n);
    w->outlen += n;
}

/* Reads what is available; closes the fd at EOF. */
static void drain(struct pool *p, struct worker *w, bool records) {
    int *fd = records ? &w->rfd : &w->ofd;
    char buf[65536];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            close(*fd);
            *fd = -1;
            return;
        }
        if (!records) {
            keep_output(w, buf, (size_t)n);
            continue;
        }
        if (wire_feed(&w->in, buf, (size_t)n) < 0) {
            oom();
        }
        struct wire_frame f;
        while (wire_next(&w->in, &w->frame, &f)) {
            handle_frame(p, w, &f);
        }
        w->last_progress = torture_now();
    }
}

static bool resumable(const struct torture_unit *u, const char *point) {
    return multi_point(u) && point[0] && strcmp(point, "none") != 0
            && u->restarts < MAX_RESTARTS;
}

/* The first line of a sanitizer report in out, or NULL. */
static const char *sanitizer_report(const char *out, int *len) {
    static const char *const marks[] = {"runtime error:", "ERROR: AddressSanitizer",
            "ERROR: LeakSanitizer", "ERROR: UndefinedBehaviorSanitizer"};
    const char *first = NULL;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        const char *m = strstr(out, marks[i]);
        if (m && (!first || m < first)) {
            first = m;
        }
    }
    if (!first) {
        return NULL;
    }
    while (first > out && first[-1] != '\n') {
        first--;
    }
    const char *nl = strchr(first, '\n');
    *len = nl ? (int)(nl - first) : (int)strlen(first);
    if (*len > 300) {
        *len = 300;
    }
    return first;
}

static void keep_worker_output(struct unit_results *ur, struct worker *w) {
    if (!w->outlen) {
        return;
    }
    size_t old = ur->output ? strlen(ur->output) : 0;
    char *o = realloc(ur->output, old + w->outlen + 1);
    if (!o) {
        oom();
    }
    memcpy(o + old, w->output, w->outlen);
    o[old + w->outlen] = '\0';
    ur->output = o;
}

/* The worker has exited and both pipes are closed. */
static void reap(struct pool *p, struct worker *w) {
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    struct torture_unit *u = &p->plan->units[w->unit];
    struct unit_results *ur = ur_of(p, w);
    if (w->stopped) {
        /* --fail-fast: keep a unit that failed, with what it reported */
        for (size_t i = 0; i < ur->count; i++) {
            ur->complete |= ur->items[i].verdict == TORTURE_FAIL;
        }
        w->pid = 0;
        return;
    }
    struct worker_slot *slot = &p->slots[w - p->workers];
    bool clean = w->got_end && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    w->output[w->outlen] = '\0';
    char why[512] = "";
    int slen = 0;
    const char *sline = sanitizer_report(w->output, &slen);
    if (w->timed_out) {
        snprintf(why, sizeof(why), "timed out: no progress for %g s (killed)", p->opt->timeout);
    } else if (WIFSIGNALED(status)) {
        snprintf(why, sizeof(why), "worker crashed: killed by signal %d (%s)",
                WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else if (!clean && sline) {
        snprintf(why, sizeof(why), "worker exited with status %d, sanitizer: %.*s",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, slen, sline);
    } else if (!clean) {
        snprintf(why, sizeof(why), "worker exited with status %d before finishing",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (sline) {
        snprintf(why, sizeof(why), "sanitizer: %.*s", slen, sline);
    }
    keep_worker_output(ur, w);
    if (why[0]) {
        char point[TORTURE_SCHEDULE_MAX];
        memcpy(point, slot->current, sizeof(point));
        point[sizeof(point) - 1] = '\0';
        char field[TORTURE_SCHEDULE_MAX];
        torture_unit_schedule_field(&u->schedule, field, sizeof(field));
        const char *sched = point[0] ? point : field;
        char id[TORTURE_ID_MAX + TORTURE_SCHEDULE_MAX];
        if (ur->prefix) {
            snprintf(id, sizeof(id), "%s%s%s", ur->prefix, sched, ur->suffix);
        } else {
            torture_fallback_id(p->opt, u, sched, id, sizeof(id));
        }
        struct result r = {.id = id, .schedule = (char *)sched, .verdict = TORTURE_FAIL,
                .message = why, .cuts = strncmp(sched, "every=", 6) == 0 ? 1 : 0};
        if (point[0] && slot->cut) {
            const struct torture_op *op = &slot->op;
            r.cut = true;
            snprintf(r.cut_kind, sizeof(r.cut_kind), "%s", op->kind == BD_EMU_OP_PROG ? "prog"
                    : op->kind == BD_EMU_OP_ERASE ? "erase" : "sync");
            r.cut_block = op->block;
            r.cut_off = op->off;
            r.cut_size = op->size;
            r.cut_write = op->index;
        }
        add_result(p, u, ur, &r);
        if (!clean && resumable(u, point) && !p->stop) {
            u->restarts++;
            p->restart_queue[p->nrestart++] = w->unit;
            w->pid = 0;
            return;
        }
        if (!clean && multi_point(u) && point[0] && strcmp(point, "none") != 0) {
            char note[128];
            snprintf(note, sizeof(note), "gave up on this permutation's remaining crash "
                    "points after %u worker crashes", u->restarts + 1);
            replace(&ur->items[ur->count - 1].note, note);
        }
    }
    ur->complete = true;
    w->pid = 0;
}

static void spawn(struct pool *p, struct worker *w, size_t unit) {
    int rp[2], op[2];
    if (pipe(rp) < 0 || pipe(op) < 0) {
        perror("torture: pipe");
        exit(2);
    }
    struct worker_slot *slot = &p->slots[w - p->workers];
    memset(slot, 0, sizeof(*slot));
    fflush(NULL);   /* or the worker inherits (and may write) pending output */
    pid_t pid = fork();
    if (pid < 0) {
        perror("torture: fork");
        exit(2);
    }
    if (pid == 0) {
        close(rp[0]);
        close(op[0]);
        dup2(op[1], STDOUT_FILENO);
        dup2(op[1], STDERR_FILENO);
        close(op[1]);
        setvbuf(stdout, NULL, _IOLBF, 0);
        torture_worker_main(p->opt, &p->plan->units[unit], rp[1], slot);
    }
    close(rp[1]);
    close(op[1]);
    fcntl(rp[0], F_SETFL, O_NONBLOCK);
    fcntl(op[0], F_SETFL, O_NONBLOCK);
    w->pid = pid;
    w->unit = unit;
    w->rfd = rp[0];
    w->ofd = op[0];
    w->got_end = false;
    w->timed_out = false;
    w->stopped = false;
    w->outlen = 0;
    w->output_truncated = false;
    w->seen_progress = 0;
    w->last_progress = torture_now();
}

static void release_in_order(struct pool *p) {
    while (p->next_report < p->plan->count && p->results[p->next_report].complete) {
        struct unit_results *ur = &p->results[p->next_report];
        unit_results_sort(ur);
        reporter_unit(p->rep, &p->plan->units[p->next_report], ur);
        unit_results_free(ur);
        strset_free(&p->plan->units[p->next_report].done);
        p->next_report++;
    }
}

bool torture_pool_run(const struct torture_options *opt, struct torture_plan *plan,
        struct reporter *rep) {
    size_t jobs = opt->jobs ? opt->jobs : 1;
    struct pool p = {.opt = opt, .plan = plan, .rep = rep};
    p.results = calloc(plan->count ? plan->count : 1, sizeof(*p.results));
    p.workers = calloc(jobs, sizeof(*p.workers));
    p.restart_queue = calloc(plan->count ? plan->count : 1, sizeof(*p.restart_queue));
    struct pollfd *fds = calloc(2 * jobs, sizeof(*fds));
    p.slots = mmap(NULL, jobs * sizeof(*p.slots), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!p.results || !p.workers || !p.restart_queue || !fds || p.slots == MAP_FAILED) {
        oom();
    }
    for (size_t i = 0; i < jobs; i++) {
        p.workers[i].output = malloc(OUTPUT_MAX + 1);
        if (!p.workers[i].output) {
            oom();
        }
    }
    for (;;) {
        size_t running = 0;
        for (size_t i = 0; i < jobs; i++) {
            struct worker *w = &p.workers[i];
            if (!w->pid && !p.stop) {
                if (p.nrestart) {
                    spawn(&p, w, p.restart_queue[--p.nrestart]);
                } else if (p.next_unit < plan->count) {
                    spawn(&p, w, p.next_unit++);
                }
            }
            running += w->pid != 0;
        }
        if (!running) {
            break;
        }
        size_t nfds = 0;
        for (size_t i = 0; i < jobs; i++) {
            struct worker *w = &p.workers[i];
            if (w->pid && w->rfd >= 0) {
                fds[nfds++] = (struct pollfd){.fd = w->rfd, .events = POLLIN};
            }
            if (w->pid && w->ofd >= 0) {
                fds[nfds++] = (struct pollfd){.fd = w->ofd, .events = POLLIN};
            }
        }
        if (nfds && poll(fds, nfds, 100) < 0 && errno != EINTR) {
            perror("torture: poll");
            exit(2);
        }
        double now = torture_now();
        uint64_t live = 0;
        for (size_t i = 0; i < jobs; i++) {
            struct worker *w = &p.workers[i];
            if (!w->pid) {
                continue;
            }
            if (w->rfd >= 0) {
                drain(&p, w, true);
            }
            if (w->ofd >= 0) {
                drain(&p, w, false);
            }
            uint64_t progress = p.slots[i].progress;
            if (progress != w->seen_progress) {
                w->seen_progress = progress;
                w->last_progress = now;
            }
            live += progress / 2;
            if (w->rfd < 0 && w->ofd < 0) {
                reap(&p, w);
            } else if (!w->timed_out && now - w->last_progress > opt->timeout) {
                kill(w->pid, SIGKILL);
                w->timed_out = true;
            } else if (p.stop && !w->stopped) {
                kill(w->pid, SIGKILL);
                w->stopped = true;
            }
        }
        release_in_order(&p);
        reporter_progress(rep, live);
    }
    if (!p.stop) {
        release_in_order(&p);
    } else {
        /* fail-fast: report what finished, in order, skipping the rest */
        for (size_t i = p.next_report; i < plan->count; i++) {
            if (p.results[i].complete) {
                unit_results_sort(&p.results[i]);
                reporter_unit(rep, &plan->units[i], &p.results[i]);
            }
            unit_results_free(&p.results[i]);
        }
    }
    for (size_t i = 0; i < jobs; i++) {
        free(p.workers[i].output);
        wire_buf_free(&p.workers[i].in);
        wire_buf_free(&p.workers[i].frame);
    }
    munmap(p.slots, jobs * sizeof(*p.slots));
    free(fds);
    free(p.restart_queue);
    free(p.workers);
    free(p.results);
    return p.stop;
}
