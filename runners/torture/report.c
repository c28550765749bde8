/*
 * report.c - failure blocks, progress line, JSON lines and the summary.
 * Output is deterministic in content and order for a given plan: nothing
 * timing-dependent goes into results or JSON.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

double torture_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

int unit_results_add(struct unit_results *ur, const struct result *r) {
    if (ur->count == ur->cap) {
        size_t cap = ur->cap ? 2 * ur->cap : 8;
        struct result *items = realloc(ur->items, cap * sizeof(*items));
        if (!items) {
            return -1;
        }
        ur->items = items;
        ur->cap = cap;
    }
    struct result *d = &ur->items[ur->count++];
    *d = *r;
    d->id = dup_or_null(r->id);
    d->schedule = dup_or_null(r->schedule);
    d->message = dup_or_null(r->message);
    d->note = dup_or_null(r->note);
    d->images = dup_or_null(r->images);
    d->fsck = dup_or_null(r->fsck);
    return 0;
}

/* "none" first, then crash points by their numeric path, then the rest. */
static int schedule_cmp(const char *a, const char *b) {
    int ca = strcmp(a, "none") == 0 ? 0 : strncmp(a, "every=", 6) == 0 ? 1 : 2;
    int cb = strcmp(b, "none") == 0 ? 0 : strncmp(b, "every=", 6) == 0 ? 1 : 2;
    if (ca != cb || ca != 1) {
        return ca != cb ? ca - cb : strcmp(a, b);
    }
    a += 6;
    b += 6;
    while (*a && *b) {
        unsigned long long x = strtoull(a, (char **)&a, 10);
        unsigned long long y = strtoull(b, (char **)&b, 10);
        if (x != y) {
            return x < y ? -1 : 1;
        }
        a += *a == '.';
        b += *b == '.';
    }
    return (*a != 0) - (*b != 0);
}

static int result_cmp(const void *x, const void *y) {
    return schedule_cmp(((const struct result *)x)->schedule,
            ((const struct result *)y)->schedule);
}

void unit_results_sort(struct unit_results *ur) {
    if (ur->count > 1) {
        qsort(ur->items, ur->count, sizeof(*ur->items), result_cmp);
    }
}

void unit_results_free(struct unit_results *ur) {
    for (size_t i = 0; i < ur->count; i++) {
        struct result *r = &ur->items[i];
        free(r->id);
        free(r->schedule);
        free(r->message);
        free(r->note);
        free(r->images);
        free(r->fsck);
    }
    free(ur->items);
    free(ur->prefix);
    free(ur->suffix);
    free(ur->defines);
    free(ur->all_defines);
    free(ur->fault);
    free(ur->construction);
    free(ur->output);
    memset(ur, 0, sizeof(*ur));
}

int reporter_init(struct reporter *r, const struct torture_options *opt,
        const struct torture_plan *plan) {
    memset(r, 0, sizeof(*r));
    r->opt = opt;
    r->plan = plan;
    r->tty = isatty(STDOUT_FILENO) && opt->verbosity >= 0;
    r->start = torture_now();
    if (opt->json) {
        r->json = fopen(opt->json, "w");
        if (!r->json) {
            fprintf(stderr, "torture: cannot write %s: %s\n", opt->json, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void clear_progress(struct reporter *r) {
    if (r->progress_shown) {
        fputs("\r\033[K", stdout);
        r->progress_shown = false;
    }
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static void json_field(FILE *f, const char *key, const char *value) {
    fprintf(f, ",\"%s\":", key);
    json_string(f, value);
}

static const char *verdict_word(enum torture_verdict v) {
    return v == TORTURE_PASS ? "pass" : v == TORTURE_FAIL ? "fail" : "skip";
}

static void json_result(struct reporter *rep, const struct torture_unit *u,
        const struct unit_results *ur, const struct result *r) {
    FILE *f = rep->json;
    fputs("{\"id\":", f);
    json_string(f, r->id);
    json_field(f, "suite", u->tcase->suite);
    json_field(f, "case", u->tcase->name);
    json_field(f, "geometry", u->geometry.name);
    json_field(f, "defines", ur->defines ? ur->defines : "-");
    json_field(f, "schedule", r->schedule);
    json_field(f, "fault", ur->fault ? ur->fault : "-");
    fprintf(f, ",\"seed\":%llu", (unsigned long long)u->seed);
    json_field(f, "result", verdict_word(r->verdict));
    if (r->message) {
        json_field(f, "message", r->message);
    }
    if (r->note) {
        json_field(f, "note", r->note);
    }
    if (r->cut) {
        fprintf(f, ",\"unique\":%s", r->unique ? "true" : "false");
    }
    if (r->sdc) {
        fprintf(f, ",\"sdc\":%llu", (unsigned long long)r->sdc);
    }
    if (r->rollbacks) {
        fprintf(f, ",\"rollbacks\":%llu", (unsigned long long)r->rollbacks);
    }
    if (r->unsettled) {
        fprintf(f, ",\"unsettled\":%llu", (unsigned long long)r->unsettled);
    }
    if (r->cut) {
        fprintf(f, ",\"cut\":{\"write\":%llu,\"op\":\"%s\",\"block\":%llu,\"off\":%llu,"
                "\"size\":%llu}", (unsigned long long)r->cut_write, r->cut_kind,
                (unsigned long long)r->cut_block, (unsigned long long)r->cut_off,
                (unsigned long long)r->cut_size);
    }
    fprintf(f, ",\"cuts\":%llu", (unsigned long long)r->cuts);
    if (r->images) {
        fputs(",\"images\":[", f);
        const char *p = r->images;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            char path[1024];
            snprintf(path, sizeof(path), "%.*s", (int)n, p);
            fputs(p == r->images ? "" : ",", f);
            json_string(f, path);
            p += n + (nl ? 1 : 0);
        }
        fputc(']', f);
    }
    if (r->fsck) {
        /* {"status":N or null,"output":findings, or why it did not run} */
        int st;
        const char *nl = strchr(r->fsck, '\n');
        if (sscanf(r->fsck, "status %d", &st) == 1) {
            fprintf(f, ",\"fsck\":{\"status\":%d,\"output\":", st);
            json_string(f, nl ? nl + 1 : "");
        } else {
            fputs(",\"fsck\":{\"status\":null,\"output\":", f);
            json_string(f, r->fsck);
        }
        fputc('}', f);
    }
    fputs("}\n", f);
}

static void print_shell_quoted(const char *s) {
    fputc('\'', stdout);
    for (; *s; s++) {
        if (*s == '\'') {
            fputs("'\\''", stdout);
        } else {
            fputc(*s, stdout);
        }
    }
    fputc('\'', stdout);
}

static void print_output(const char *out) {
    /* the last 60 lines */
    const char *p = out + strlen(out);
    int lines = 0;
    while (p > out && lines <= 60) {
        p--;
        if (*p == '\n' && p[1]) {
            lines++;
        }
    }
    if (p > out) {
        printf("  output:   (last %d lines)\n", lines);
        p++;
    } else {
        printf("  output:\n");
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("    | %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
}

static void print_failure(struct reporter *rep, const struct torture_unit *u,
        const struct unit_results *ur, const struct result *r, bool with_output) {
    printf("FAIL %s\n", r->id);
    if (rep->opt->verbosity < 0) {
        return;
    }
    printf("  case:     %s (%s:%d, suite %s)\n", u->tcase->name, u->tcase->file,
            u->tcase->line, u->tcase->suite);
    if (ur->all_defines && ur->all_defines[0]) {
        printf("  defines:  %s\n", ur->all_defines);
    }
    if (r->cut) {
        if (strcmp(r->cut_kind, "prog") == 0) {
            printf("  cut:      power cut at write %llu, prog block %llu off %llu size %llu",
                    (unsigned long long)r->cut_write, (unsigned long long)r->cut_block,
                    (unsigned long long)r->cut_off, (unsigned long long)r->cut_size);
        } else if (strcmp(r->cut_kind, "erase") == 0) {
            printf("  cut:      power cut at write %llu, erase block %llu",
                    (unsigned long long)r->cut_write, (unsigned long long)r->cut_block);
        } else {
            printf("  cut:      power cut at write %llu, sync", (unsigned long long)r->cut_write);
        }
        printf(" (fault %s", ur->fault ? ur->fault : "-");
        if (r->cuts > 1) {
            printf(", cut %llu of this run", (unsigned long long)r->cuts);
        }
        if (ur->construction && strcmp(ur->construction, "-") != 0
                && strncmp(r->schedule, "every=", 6) == 0) {
            printf(", state built by %s", ur->construction);
        }
        printf(")\n");
    }
    printf("  failure:  %s\n", r->message ? r->message : "(no message)");
    if (r->note) {
        printf("  note:     %s\n", r->note);
    }
    if (r->images) {
        printf("  images:   ");
        for (const char *p = r->images; *p; p++) {
            if (*p == '\n') {
                fputs("\n            ", stdout);
            } else {
                fputc(*p, stdout);
            }
        }
        printf("\n");
    }
    if (r->fsck) {
        printf("  fsck:     ");
        for (const char *p = r->fsck; *p; p++) {
            if (*p == '\n') {
                if (p[1]) {
                    fputs("\n            ", stdout);
                }
            } else {
                fputc(*p, stdout);
            }
        }
        printf("\n");
    }
    printf("  replay:   %s ", rep->opt->program);
    print_shell_quoted(r->id);
    printf("\n");
    if (with_output && ur->output && ur->output[0]) {
        print_output(ur->output);
    }
}

void reporter_unit(struct reporter *rep, const struct torture_unit *u, struct unit_results *ur) {
    clear_progress(rep);
    bool output_shown = false;
    for (size_t i = 0; i < ur->count; i++) {
        const struct result *r = &ur->items[i];
        rep->crash_points += r->cuts;
        if (r->verdict == TORTURE_FAIL) {
            rep->failed++;
            print_failure(rep, u, ur, r, !output_shown);
            output_shown = true;
        } else if (r->verdict == TORTURE_SKIP) {
            rep->skipped++;
            if (rep->opt->verbosity > 0) {
                printf("skip %s%s%s\n", r->id, r->note ? ": " : "", r->note ? r->note : "");
            }
        } else {
            rep->passed++;
            if (rep->opt->verbosity > 0) {
                printf("pass %s%s%s\n", r->id, r->note ? ": " : "", r->note ? r->note : "");
            }
        }
        if (rep->json) {
            json_result(rep, u, ur, r);
        }
    }
    rep->passed += ur->passed;
    rep->skipped += ur->skipped;
    rep->crash_points += ur->cuts;
    rep->unique += ur->unique;
    rep->sdc += ur->sdc;
    rep->rollbacks += ur->rollbacks;
    rep->unsettled += ur->unsettled;
    rep->units_done++;
    fflush(stdout);
}

void reporter_progress(struct reporter *rep, uint64_t live_points) {
    if (!rep->tty) {
        return;
    }
    double now = torture_now();
    if (now - rep->last_progress < 0.2) {
        return;
    }
    rep->last_progress = now;
    double el = now - rep->start;
    uint64_t points = rep->crash_points + live_points;
    size_t total = rep->plan->count;
    printf("\r\033[K[%zu/%zu permutations] %llu crash points, %.0f/s", rep->units_done,
            total, (unsigned long long)points, el > 0 ? (double)points / el : 0.0);
    if (rep->units_done > 0 && rep->units_done < total) {
        double eta = el / (double)rep->units_done * (double)(total - rep->units_done);
        printf(", ETA %d:%02d", (int)eta / 60, (int)eta % 60);
    }
    fflush(stdout);
    rep->progress_shown = true;
}

int reporter_finish(struct reporter *rep, bool interrupted) {
    clear_progress(rep);
    double el = torture_now() - rep->start;
    if (rep->json) {
        fclose(rep->json);
    }
    if (rep->opt->verbosity >= 0) {
        if (rep->unique) {
            printf("oracle: %llu unique crash states of %llu crash points (the rest "
                    "byte-identical to one judged)\n", (unsigned long long)rep->unique,
                    (unsigned long long)rep->crash_points);
        }
        if (rep->sdc) {
            printf("oracle: %llu silent data corruptions (file contents changed by bit "
                    "flips, no checksum on file data; not failures, see notes)\n",
                    (unsigned long long)rep->sdc);
        }
        if (rep->rollbacks) {
            printf("oracle: %llu metadata rollbacks (a directory showing an earlier "
                    "durable listing after bit flips in its pair; not failures)\n",
                    (unsigned long long)rep->rollbacks);
        }
        if (rep->unsettled) {
            printf("oracle: %llu crash states read unstable until the first write "
                    "(a commit cut with metastable bytes; judged as settled by "
                    "lfs_fs_mkconsistent; not failures)\n",
                    (unsigned long long)rep->unsettled);
        }
        printf("%zu permutations%s, %llu crash points checked in %.1f s (%.0f/s)\n",
                rep->units_done, interrupted ? " (stopped early)" : "",
                (unsigned long long)rep->crash_points, el,
                el > 0 ? (double)rep->crash_points / el : 0.0);
    }
    printf("%llu passed, %llu failed", (unsigned long long)rep->passed,
            (unsigned long long)rep->failed);
    if (rep->skipped) {
        printf(", %llu skipped", (unsigned long long)rep->skipped);
    }
    printf("\n");
    fflush(stdout);
    return rep->failed || interrupted ? 1 : 0;
}
