/*
 * main.c - build/torture: runs the compiled TOML cases under power-loss
 * schedules, in parallel, and reports each failure with an id that replays
 * it. This file owns the command line; the rest is in plan.c (what to run),
 * pool.c (running it), worker.c (one permutation) and report.c (output).
 *
 * Assumes the generated registry (build/gen/cases/registry.c) defines
 * torture_registry.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defines.h"
#include "disk_in.h"
#include "plan.h"
#include "pool.h"
#include "report.h"

extern const struct torture_registry torture_registry;

static const char usage[] =
"usage: %s [options] [SUITE | CASE | GLOB | ID]...\n"
"\n"
"Runs the TOML test cases compiled into this program, each permutation in\n"
"its own forked worker, under a power-loss schedule. With no SUITE, CASE or\n"
"ID, runs every case. A GLOB ('dirs_*') matches suite and case names.\n"
"\n"
"Selecting and listing\n"
"  -l                 list suites\n"
"  -L                 list cases (name, suite, file:line, permutations, reentrant,\n"
"                     judge if the case sets one)\n"
"  -D NAME=V[,V...]   override a define; a list (or range(a,b[,s])) multiplies\n"
"                     the permutations. Precedence: -D > the id replayed > the\n"
"                     case > the geometry > the implicit default\n"
"  -G GEOMETRY        default, eeprom, emmc, nor, nand, all, or a custom\n"
"                     read,prog,erase,count; repeat for several (default: all five)\n"
"\n"
"Power loss\n"
"  -P SCHEDULE        none (default), or:\n"
"                       every     a cut at each write op (prog, erase, sync) of the\n"
"                                 uninterrupted run, one at a time; each crashed\n"
"                                 state is judged on its own\n"
"                       depth:N   also cut inside the recovery from each cut, N deep\n"
"                       random:N  N of the crash points of `every`, chosen by --seed\n"
"                       linear    upstream: cut after 1, then 2, 3, ... more writes,\n"
"                                 restarting the case on the same disk until it ends\n"
"                       log       the same after 1, 2, 4, 8, ... more writes\n"
"                       A,B,C     the same, cutting at those cumulative write indices\n"
"                     every, depth and random are judged by the oracle (any case\n"
"                     without judge = \"restart\");\n"
"                     with --judge restart, and for linear, log and lists, the\n"
"                     reentrant case is rerun instead and non-reentrant cases run\n"
"                     once without power loss (noted).\n"
"  -F FAULT[,...]     what a cut does to the op it interrupts: atomic, torn-prefix,\n"
"                     torn-bits, metastable, partial-erase, ooo (out-of-order\n"
"                     writeback), or all (these six); and, applied at the crash\n"
"                     point after an atomic cut: badblock (a block in use starts\n"
"                     failing progs or erases) and bitflip:N (N persistent bit\n"
"                     flips in blocks in use). Under bitflip, a pair whose commit\n"
"                     fails its CRC falls back to its previous commit while\n"
"                     other pairs keep theirs: a state passes if it reports\n"
"                     LFS_ERR_CORRUPT or if every entry's metadata (name, type,\n"
"                     size, attributes, in the same directory) is that of some\n"
"                     earlier durable state; directories showing an earlier\n"
"                     listing are counted (\"metadata rollbacks\"), and so are\n"
"                     files with known metadata but new contents (\"silent data\n"
"                     corruptions\": file data has no checksum). Default: the case's\n"
"                     POWERLOSS_BEHAVIOR (atomic unless it sets one). Each fault\n"
"                     is a permutation; its name is in the id (bitflip=N)\n"
"  --seed S           seed of the device and of every random choice (default 0)\n"
"  --judge NAME       how a crashed state is judged:\n"
"                       oracle   (default) a fresh mount must show exactly the\n"
"                                durable state before or after the interrupted API\n"
"                                call, and the filesystem must be usable again\n"
"                                (mkconsistent, a probe file, remount, structure);\n"
"                                byte-identical crashed devices are judged once\n"
"                       restart  upstream's: run the reentrant case again from the\n"
"                                top on the crashed disk; it must complete with all\n"
"                                its assertions\n"
"                     default: each case's own `judge` key (suite or case level in\n"
"                     its .toml, for cases whose correctness needs the rest of\n"
"                     the workload), else oracle; --judge overrides the key\n"
"\n"
"Starting from an image\n"
"  --disk-in IMAGE    every run starts from IMAGE (a raw dump of the whole device)\n"
"                     instead of an erased device, under every schedule and fault\n"
"                     model; the oracle's first durable state is the image's.\n"
"                     The geometry must match its size (and its superblock's block\n"
"                     size); without -G it is derived from the image: erase size =\n"
"                     the superblock's block size, count = file size / that, read\n"
"                     and prog 16 (override with -D READ_SIZE=.. -D PROG_SIZE=..).\n"
"                     Cases for images mount instead of formatting: include\n"
"                     \"disk_in.h\" in the suite's code and write\n"
"                       if (!torture_disk_in()) { lfs_format(&lfs, cfg) => 0; }\n"
"                     Every id then ends in :disk=PATH@HASH (a hash of the image's\n"
"                     contents); replaying it loads PATH again and refuses to run\n"
"                     if the contents (or --disk-in's) have another hash.\n"
"  --trace FILE       record every device op (read, prog, erase, sync: block, off,\n"
"                     size, result; erase-block coordinates) of the uninterrupted\n"
"                     run of exactly one permutation (a case narrowed by -G/-D/-F,\n"
"                     or an id; several are refused). Crash-state judging is not\n"
"                     traced. scripts/trace_render.py FILE -o OUT.png draws it.\n"
"\n"
"Running\n"
"  -j N               workers (default: all cores)\n"
"  --shard K/N        run only part K of N (disjoint; together exactly the whole)\n"
"  --timeout S        fail a permutation that makes no progress for S seconds\n"
"                     (default 60)\n"
"  --keep-going       run everything whatever fails (default)\n"
"  --fail-fast        stop at the first failure\n"
"\n"
"Output\n"
"  -v                 print every outcome; -q: only failing ids and the summary\n"
"  --json FILE        one JSON object per line per permutation and per crash point\n"
"                     judged: id, suite, case, geometry, defines, schedule, fault,\n"
"                     seed, result (pass, fail, skip), message, note, cut, images,\n"
"                     fsck ({status, output} of lfstool fsck on failure.img)\n"
"  --save-failures DIR  disk images of failures, one directory per id (default\n"
"                     build/failures; 'none' to save nothing). `lfstool fsck` (the\n"
"                     lfstool beside this program, or $TORTURE_LFSTOOL) runs on\n"
"                     each failure.img: its status and first findings are in the\n"
"                     report, its whole output in fsck.txt beside the image\n"
"  -h, --help         this text\n"
"\n"
"On a terminal a progress line shows permutations done/total, crash points\n"
"checked, rate and ETA; otherwise only failures and the summary are printed.\n"
"The last line is always `N passed, N failed[, N skipped]`; the exit status is\n"
"1 on any failure, 2 on bad usage.\n"
"\n"
"Ids\n"
"  Every permutation and every crash point has one id; `%s ID` replays\n"
"  exactly it (options given with it override its fields):\n"
"    CASE:GEOMETRY:DEFINES:SCHEDULE:FAULT:seed=SEED[:disk=PATH@HASH]\n"
"  e.g. append_log:nor:N=40:every=37:torn-bits:seed=0\n"
"    DEFINES   NAME=VALUE,... the defines the permutation sets and the -D\n"
"              overrides, evaluated ('-' if none; '#P' is permutation P)\n"
"    SCHEDULE  none | every=K (cut at write op K of the uninterrupted run) |\n"
"              every=K.J (then at op J of the recovery run) | linear | log |\n"
"              cuts=A.B.C\n"
"    FAULT     a fault model, or '-' for the case's POWERLOSS_BEHAVIOR\n";

static void die_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "torture: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see --help)\n");
    exit(2);
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (!*s || *s == '-') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_int(const char *s, const char *stop, intmax_t *out) {
    char *end;
    errno = 0;
    intmax_t v = strtoimax(s, &end, 0);
    if (errno || end == s || end != stop) {
        return -1;
    }
    *out = v;
    return 0;
}

/* V[,V...] where V is an integer or range(a,b[,s]) */
static void parse_override(struct torture_options *opt, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || opt->noverrides == TORTURE_MAX_OVERRIDES) {
        die_usage("bad -D '%s' (NAME=V[,V...])", arg);
    }
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
    struct torture_override *o = &opt->overrides[opt->noverrides];
    o->define = torture_define_lookup(name);
    o->count = 0;
    if (o->define < 0) {
        die_usage("unknown define '%s' (defines are named in the cases' TOML; "
                "implicit ones are READ_SIZE, BLOCK_SIZE, ...)", name);
    }
    const char *p = eq + 1;
    while (*p) {
        intmax_t a, b, s = 1;
        if (strncmp(p, "range(", 6) == 0) {
            const char *close = strchr(p, ')');
            char inner[128];
            if (!close || (size_t)(close - p - 6) >= sizeof(inner)) {
                die_usage("bad range in -D '%s'", arg);
            }
            snprintf(inner, sizeof(inner), "%.*s", (int)(close - p - 6), p + 6);
            char *c1 = strchr(inner, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
            char *end = inner + strlen(inner);
            if (!c1) {
                a = 0;
                if (parse_int(inner, end, &b) < 0) {
                    die_usage("bad range in -D '%s'", arg);
                }
            } else if (parse_int(inner, c1, &a) < 0
                    || parse_int(c1 + 1, c2 ? c2 : end, &b) < 0
                    || (c2 && parse_int(c2 + 1, end, &s) < 0) || s == 0) {
                die_usage("bad range in -D '%s'", arg);
            }
            for (intmax_t v = a; s > 0 ? v < b : v > b; v += s) {
                if (o->count == TORTURE_MAX_VALUES) {
                    die_usage("too many values in -D '%s'", arg);
                }
                o->values[o->count++] = v;
            }
            p = close + 1;
        } else {
            const char *comma = strchr(p, ',');
            const char *stop = comma ? comma : p + strlen(p);
            if (o->count == TORTURE_MAX_VALUES || parse_int(p, stop, &a) < 0) {
                die_usage("bad value in -D '%s' (integers or range(a,b[,s]))", arg);
            }
            o->values[o->count++] = a;
            p = stop;
        }
        if (*p == ',') {
            p++;
            if (!*p) {
                die_usage("bad -D '%s'", arg);
            }
        } else if (*p) {
            die_usage("bad -D '%s'", arg);
        }
    }
    if (!o->count) {
        die_usage("-D '%s' gives no values", arg);
    }
    opt->noverrides++;
}

static void parse_faults(struct torture_options *opt, const char *arg) {
    if (strcmp(arg, "all") == 0) {
        for (int i = 0; i < BD_EMU_FAULT_COUNT; i++) {
            opt->faults[i] = i;
        }
        opt->nfaults = BD_EMU_FAULT_COUNT;
        return;
    }
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    for (char *f = strtok(buf, ","); f; f = strtok(NULL, ",")) {
        int v = torture_fault_parse(f);
        if (v < 0) {
            die_usage("unknown fault model '%s' (atomic, torn-prefix, torn-bits, "
                    "metastable, partial-erase, ooo, all, badblock, bitflip:N)", f);
        }
        if (opt->nfaults < TORTURE_FAULT_MAX_MODELS) {
            opt->faults[opt->nfaults++] = v;
        }
    }
}

static void parse_geometry(struct torture_options *opt, const char *arg) {
    char err[256];
    if (strcmp(arg, "all") == 0) {
        for (size_t i = 0; i < TORTURE_GEOMETRY_COUNT; i++) {
            opt->geometries[opt->ngeometries++] = torture_geometries[i];
        }
        return;
    }
    if (opt->ngeometries == TORTURE_MAX_GEOMETRIES) {
        die_usage("too many geometries (%s)", arg);
    }
    if (torture_geometry_parse(arg, &opt->geometries[opt->ngeometries], err, sizeof(err)) < 0) {
        die_usage("%s", err);
    }
    opt->ngeometries++;
}

/* The value of option `name` at argv[*i]: attached (--x=V, -jV) or next. */
static const char *value(int argc, char **argv, int *i, const char *name) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=' && name[1] == '-') {
        return a + n + 1;
    }
    if (strncmp(a, name, n) == 0 && a[n] && name[1] != '-') {
        return a + n;
    }
    if (*i + 1 >= argc) {
        die_usage("%s needs a value", name);
    }
    return argv[++*i];
}

static bool is_opt(const char *a, const char *name) {
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0
            && (a[n] == '\0' || (name[1] == '-' ? a[n] == '=' : true));
}

static void parse_args(struct torture_options *opt, int argc, char **argv) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opt->jobs = cores > 0 ? (unsigned)cores : 1;
    opt->timeout = 60;
    opt->save_dir = "build/failures";
    opt->program = argv[0];
    /* selectors are gathered in place at the front of argv (j <= i) */
    opt->selectors = (const char **)&argv[1];
    bool positional_only = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        uint64_t n;
        if (positional_only || a[0] != '-' || a[1] == '\0') {
            argv[1 + opt->nselectors++] = a;
        } else if (strcmp(a, "--") == 0) {
            positional_only = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf(usage, argv[0], argv[0]);
            exit(0);
        } else if (strcmp(a, "-l") == 0) {
            opt->list_suites = true;
        } else if (strcmp(a, "-L") == 0) {
            opt->list_cases = true;
        } else if (strcmp(a, "-v") == 0) {
            opt->verbosity = 1;
        } else if (strcmp(a, "-q") == 0) {
            opt->verbosity = -1;
        } else if (strcmp(a, "--keep-going") == 0) {
            opt->fail_fast = false;
        } else if (strcmp(a, "--fail-fast") == 0) {
            opt->fail_fast = true;
        } else if (is_opt(a, "-D")) {
            parse_override(opt, value(argc, argv, &i, "-D"));
        } else if (is_opt(a, "-G")) {
            parse_geometry(opt, value(argc, argv, &i, "-G"));
        } else if (is_opt(a, "-F")) {
            parse_faults(opt, value(argc, argv, &i, "-F"));
        } else if (is_opt(a, "-P")) {
            char err[256];
            const char *v = value(argc, argv, &i, "-P");
            if (torture_schedule_parse_arg(v, &opt->schedule, err, sizeof(err)) < 0) {
                die_usage("%s", err);
            }
            opt->schedule_given = true;
        } else if (is_opt(a, "-j")) {
            const char *v = value(argc, argv, &i, "-j");
            if (parse_u64(v, &n) < 0 || n == 0 || n > 1024) {
                die_usage("bad -j '%s' (1 to 1024)", v);
            }
            opt->jobs = (unsigned)n;
        } else if (is_opt(a, "--seed")) {
            const char *v = value(argc, argv, &i, "--seed");
            if (parse_u64(v, &opt->seed) < 0) {
                die_usage("bad --seed '%s'", v);
            }
            opt->seed_given = true;
        } else if (is_opt(a, "--shard")) {
            const char *v = value(argc, argv, &i, "--shard");
            unsigned k, total;
            char extra;
            if (sscanf(v, "%u/%u%c", &k, &total, &extra) != 2 || !total || !k || k > total) {
                die_usage("bad --shard '%s' (K/N with 1 <= K <= N)", v);
            }
            opt->shard_k = k;
            opt->shard_n = total;
        } else if (is_opt(a, "--timeout")) {
            const char *v = value(argc, argv, &i, "--timeout");
            char *end;
            opt->timeout = strtod(v, &end);
            if (*end || !(opt->timeout > 0)) {
                die_usage("bad --timeout '%s' (seconds > 0)", v);
            }
        } else if (is_opt(a, "--disk-in")) {
            opt->disk_in = value(argc, argv, &i, "--disk-in");
        } else if (is_opt(a, "--trace")) {
            opt->trace = value(argc, argv, &i, "--trace");
        } else if (is_opt(a, "--json")) {
            opt->json = value(argc, argv, &i, "--json");
        } else if (is_opt(a, "--save-failures")) {
            const char *v = value(argc, argv, &i, "--save-failures");
            opt->save_dir = strcmp(v, "none") == 0 ? NULL : v;
        } else if (is_opt(a, "--judge")) {
            const char *v = value(argc, argv, &i, "--judge");
            opt->judge = torture_judge_find(v);
            if (!opt->judge) {
                die_usage("unknown judge '%s' (oracle, restart)", v);
            }
        } else {
            die_usage("unknown option '%s'", a);
        }
    }
}

static bool selected(const struct torture_options *opt, const char *suite, const char *name) {
    if (!opt->nselectors) {
        return true;
    }
    for (size_t i = 0; i < opt->nselectors; i++) {
        const char *s = opt->selectors[i];
        if (fnmatch(s, suite, 0) == 0 || (name && fnmatch(s, name, 0) == 0)) {
            return true;
        }
    }
    return false;
}

static void list(const struct torture_options *opt, const struct torture_registry *reg) {
    for (size_t s = 0; s < reg->suite_count; s++) {
        const struct torture_suite *suite = reg->suites[s];
        if (opt->list_suites && selected(opt, suite->name, NULL)) {
            size_t perms = 0;
            for (size_t c = 0; c < suite->case_count; c++) {
                perms += suite->cases[c].permutations;
            }
            printf("%-24s %3zu cases %6zu permutations  %s\n", suite->name,
                    suite->case_count, perms, suite->file);
        }
        for (size_t c = 0; opt->list_cases && c < suite->case_count; c++) {
            const struct torture_case *tc = &suite->cases[c];
            if (selected(opt, suite->name, tc->name)) {
                printf("%-32s %-20s %s:%d  %zu permutations%s%s%s\n", tc->name,
                        suite->name, tc->file, tc->line, tc->permutations,
                        tc->reentrant ? "  reentrant" : "", tc->judge ? "  judge " : "",
                        tc->judge ? tc->judge : "");
            }
        }
    }
}

/* The image of the run: --disk-in, or that named by the ids replayed, whose
 * hashes must all agree with it. Without -G and ids, the geometry comes
 * from the image. Returns 0, or -1 after printing why. */
static int setup_disk_in(struct torture_options *opt) {
    static struct torture_disk_image img;
    static struct torture_id id;
    char err[1536];
    const char *source = NULL;
    bool have = false, ids = false;
    if (opt->disk_in) {
        if (torture_disk_image_open(opt->disk_in, &img, err, sizeof(err)) < 0) {
            fprintf(stderr, "torture: %s\n", err);
            return -1;
        }
        have = true;
        source = "--disk-in";
    }
    for (size_t i = 0; i < opt->nselectors; i++) {
        if (!torture_id_is(opt->selectors[i])
                || torture_id_parse(opt->selectors[i], &id, err, sizeof(err)) < 0) {
            continue;   /* the plan reports bad ids */
        }
        ids = true;
        if (!id.has_disk) {
            continue;
        }
        if (!have) {
            if (torture_disk_image_open(id.disk_path, &img, err, sizeof(err)) < 0) {
                fprintf(stderr, "torture: the id was recorded on image %s, which cannot be "
                        "read now: %s\n", id.disk_path, err);
                return -1;
            }
            have = true;
            source = "the id";
        }
        if (strncmp(img.hash, id.disk_hash, TORTURE_DISK_IN_HASH_LEN) != 0) {
            fprintf(stderr, "torture: the id was recorded on image %s with content hash %s, "
                    "but %s (from %s) has hash %.*s: refusing to replay on a different "
                    "image (give --disk-in with the original dump)\n", id.disk_path,
                    id.disk_hash, img.path, source, TORTURE_DISK_IN_HASH_LEN, img.hash);
            return -1;
        }
    }
    if (!have) {
        return 0;
    }
    torture_disk_in_set(&img);
    if (opt->ngeometries || ids) {
        return 0;
    }
    if (!img.superblock) {
        fprintf(stderr, "torture: --disk-in %s: no littlefs superblock in block 0 or 1, "
                "so no geometry can be derived from it: give -G read,prog,erase,count\n",
                img.path);
        return -1;
    }
    struct torture_geometry *g = &opt->geometries[opt->ngeometries++];
    g->read = g->prog = 16;
    g->erase = img.block_size;
    g->count = (uint32_t)(img.size / img.block_size);
    snprintf(g->name, sizeof(g->name), "%u,%u,%u,%u", g->read, g->prog, g->erase, g->count);
    fprintf(stderr, "torture: --disk-in %s: geometry %s from the image (block size %u from "
            "its superblock, %u blocks from its size of %llu bytes; read and prog 16)\n",
            img.path, g->name, img.block_size, g->count, (unsigned long long)img.size);
    return 0;
}

int main(int argc, char **argv) {
    const struct torture_registry *reg = &torture_registry;
    if (torture_defines_init(reg->define_names, reg->define_count) < 0) {
        fprintf(stderr, "torture: out of memory\n");
        return 2;
    }
    struct torture_options opt = {0};
    parse_args(&opt, argc, argv);
    if (opt.list_suites || opt.list_cases) {
        list(&opt, reg);
        return 0;
    }
    if (setup_disk_in(&opt) < 0) {
        return 2;
    }
    struct torture_plan plan;
    struct reporter rep;
    if (torture_plan_build(&plan, reg, &opt) < 0) {
        torture_plan_free(&plan);
        return 2;
    }
    if (opt.trace && plan.count != 1) {
        fprintf(stderr, "torture: --trace records one permutation, but the selection has "
                "%zu: narrow it (one case with -G, -D, -F) or give an id\n", plan.count);
        torture_plan_free(&plan);
        return 2;
    }
    if (reporter_init(&rep, &opt, &plan) < 0) {
        torture_plan_free(&plan);
        return 2;
    }
    bool stopped = torture_pool_run(&opt, &plan, &rep);
    int status = reporter_finish(&rep, stopped);
    torture_plan_free(&plan);
    return status;
}
