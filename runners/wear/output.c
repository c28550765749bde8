/*
 * output.c - writes a wear run's CSV and JSON files, and a comparison's.
 *
 * Numbers are written in full (%ju, %.17g for doubles), so a reader can
 * check the statistics against the per-block counts exactly. Wear is
 * bd_emu's per-block count of erases that completed while the block was
 * good; "erases" in blocks.csv counts every erase call the device counted
 * (it also includes erases of blocks already bad), so the column sums equal
 * the device's global counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "defines.h"
#include "output.h"

void wear_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p == '\n') {
            fputs("\\n", f);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static FILE *open_in(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "wear: cannot write %s: %s\n", path, strerror(errno));
    }
    return f;
}

static int close_checked(FILE *f, const char *dir, const char *name) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "wear: error writing %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

static const char *end_name(enum wear_end e) {
    switch (e) {
    case WEAR_END_FS:        return "fs";
    case WEAR_END_CAP:       return "cap";
    case WEAR_END_FIRST_BAD: return "first-bad";
    case WEAR_END_RETURNED:  return "returned";
    case WEAR_END_FAILED:    return "failed";
    default:                 return "none";
    }
}

static const char *error_name(int err) {
    switch (err) {
    case LFS_ERR_NOSPC:   return "NOSPC";
    case LFS_ERR_CORRUPT: return "CORRUPT";
    case LFS_ERR_IO:      return "IO";
    default:              return "other";
    }
}

static int write_blocks(const char *dir, const struct wear_run *run, bd_emu_t *bd) {
    FILE *f = open_in(dir, "blocks.csv");
    if (!f) {
        return -1;
    }
    fprintf(f, "block,erases,wear,progs,reads,bad\n");
    for (uint32_t b = 0; b < run->blocks; b++) {
        fprintf(f, "%" PRIu32 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%d\n", b,
                run->erases[b], bd_emu_wear(bd, b), bd_emu_block_progs(bd, b),
                bd_emu_block_reads(bd, b), bd_emu_is_bad(bd, b) == 1);
    }
    return close_checked(f, dir, "blocks.csv");
}

static int write_series(const char *dir, const struct wear_run *run) {
    const struct wear_series *s = &run->series;
    FILE *f = open_in(dir, "series.csv");
    if (!f) {
        return -1;
    }
    fprintf(f, "iteration,app_bytes,bytes_progged,min,mean,max,bad\n");
    for (size_t r = 0; r < s->rows; r++) {
        const uint32_t *row = s->wear + r * run->blocks;
        uint32_t lo = UINT32_MAX, hi = 0, bad = 0;
        uint64_t sum = 0;
        for (uint32_t b = 0; b < run->blocks; b++) {
            lo = row[b] < lo ? row[b] : lo;
            hi = row[b] > hi ? row[b] : hi;
            sum += row[b];
            bad += row[b] >= bd_emu_geometry(run->bd)->erase_cycles;
        }
        fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 ",%.17g,%" PRIu32 ",%" PRIu32 "\n",
                s->iteration[r], s->app_bytes[r], s->bytes_progged[r],
                run->blocks ? lo : 0, run->blocks ? (double)sum / run->blocks : 0.0, hi, bad);
    }
    if (close_checked(f, dir, "series.csv") < 0) {
        return -1;
    }
    f = open_in(dir, "series_blocks.csv");
    if (!f) {
        return -1;
    }
    fprintf(f, "iteration");
    for (uint32_t b = 0; b < run->blocks; b++) {
        fprintf(f, ",%" PRIu32, b);
    }
    fputc('\n', f);
    for (size_t r = 0; r < s->rows; r++) {
        fprintf(f, "%" PRIu64, s->iteration[r]);
        for (uint32_t b = 0; b < run->blocks; b++) {
            fprintf(f, ",%" PRIu32, s->wear[r * run->blocks + b]);
        }
        fputc('\n', f);
    }
    return close_checked(f, dir, "series_blocks.csv");
}

static void write_point(FILE *f, const char *name, const struct wear_point *p,
        uint64_t ideal, bool fs) {
    fprintf(f, "  \"%s\": ", name);
    if (!p->reached) {
        fprintf(f, "null,\n");
        return;
    }
    fprintf(f, "{\"iteration\": %" PRIu64 ", \"app_bytes\": %" PRIu64 ", \"wear\": %" PRIu64
            ", \"bytes_progged\": %" PRIu64 ", \"ideal_share\": %.17g",
            p->iteration, p->app_bytes, p->wear, p->bytes_progged,
            ideal ? (double)p->wear / (double)ideal : 0.0);
    if (fs) {
        fprintf(f, ", \"error\": %d, \"error_name\": \"%s\"", p->err, error_name(p->err));
    } else {
        fprintf(f, ", \"block\": %" PRIu32, p->block);
    }
    fprintf(f, "},\n");
}

static void write_defines(FILE *f) {
    fprintf(f, "  \"defines\": {");
    size_t items = 0;
    for (size_t i = 0; i < torture_defines_count(); i++) {
        intmax_t v;
        char err[256];
        if (torture_define_level((int)i) == TORTURE_LEVEL_UNSET
                || torture_define_try((int)i, &v, err, sizeof(err)) < 0) {
            continue;
        }
        fprintf(f, "%s", items++ ? ", " : "");
        wear_json_string(f, torture_define_name((int)i));
        fprintf(f, ": %jd", v);
    }
    fprintf(f, "},\n");
}

static int write_summary(const struct wear_request *req, const struct wear_run *run,
        const struct torture_dev *dev, const struct wear_metrics *m, const char *failure) {
    FILE *f = open_in(req->out, "summary.json");
    if (!f) {
        return -1;
    }
    struct bd_emu_counters c;
    bd_emu_counters(dev->bd, &c);
    const struct wear_stats *s = &m->stats;
    uint64_t ideal = (uint64_t)m->blocks * m->erase_cycles;
    fprintf(f, "{\n  \"case\": ");
    wear_json_string(f, req->tcase->name);
    fprintf(f, ",\n  \"file\": ");
    wear_json_string(f, req->tcase->file);
    fprintf(f, ",\n  \"line\": %d,\n  \"status\": \"%s\",\n  \"message\": ",
            req->tcase->line, failure ? "failed" : "ok");
    if (failure) {
        wear_json_string(f, failure);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n  \"end\": \"%s\",\n  \"seed\": %" PRIu64 ",\n", end_name(m->end), req->seed);
    fprintf(f, "  \"geometry\": {\"name\": ");
    wear_json_string(f, req->geometry.name);
    fprintf(f, ", \"read_size\": %" PRIu32 ", \"prog_size\": %" PRIu32
            ", \"erase_size\": %" PRIu32 ", \"erase_count\": %" PRIu32 "},\n",
            req->geometry.read, req->geometry.prog, req->geometry.erase, req->geometry.count);
    write_defines(f);
    fprintf(f, "  \"blocks\": %" PRIu32 ",\n  \"block_size\": %" PRIu32
            ",\n  \"erase_size\": %" PRIu32 ",\n  \"block_count\": %" PRIu32
            ",\n  \"erase_cycles\": %" PRIu32 ",\n  \"block_cycles\": %" PRId32 ",\n",
            m->blocks, dev->cfg.block_size, dev->erase_size, dev->cfg.block_count,
            m->erase_cycles, dev->cfg.block_cycles);
    fprintf(f, "  \"iterations\": %" PRIu64 ",\n  \"app_bytes\": %" PRIu64 ",\n",
            m->iterations, m->app_bytes);
    fprintf(f, "  \"device\": {\"reads\": %" PRIu64 ", \"progs\": %" PRIu64 ", \"erases\": %"
            PRIu64 ", \"syncs\": %" PRIu64 ", \"bytes_read\": %" PRIu64 ", \"bytes_progged\": %"
            PRIu64 ", \"bytes_erased\": %" PRIu64 "},\n",
            c.reads, c.progs, c.erases, c.syncs, c.bytes_read, c.bytes_progged, c.bytes_erased);
    fprintf(f, "  \"wear\": {\"min\": %" PRIu32 ", \"mean\": %.17g, \"max\": %" PRIu32
            ", \"stddev\": %.17g, \"gini\": %.17g, \"sum\": %" PRIu64 ", \"max_over_mean\": %.17g},\n",
            s->min, s->mean, s->max, s->stddev, s->gini, s->sum,
            s->mean > 0 ? s->max / s->mean : 0.0);
    fprintf(f, "  \"bad_blocks\": %" PRIu32 ",\n  \"write_amplification\": ", m->bad_blocks);
    if (m->app_bytes) {
        fprintf(f, "%.17g", m->write_amplification);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n  \"ideal_wear\": %" PRIu64 ",\n", ideal);
    write_point(f, "first_bad", &m->first_bad, ideal, false);
    write_point(f, "fs_end", &m->fs_end, ideal, true);
    fprintf(f, "  \"series\": {\"interval\": %" PRIu64 ", \"rows\": %zu, \"file\": \"series.csv\", "
            "\"blocks_file\": \"series_blocks.csv\"},\n", run->series.interval, run->series.rows);
    fprintf(f, "  \"options\": {\"max_iterations\": %" PRIu64 ", \"max_samples\": %zu, "
            "\"until_first_bad\": %s}\n}\n", req->opt.max_iterations, req->opt.max_samples,
            req->opt.until_first_bad ? "true" : "false");
    return close_checked(f, req->out, "summary.json");
}

int wear_write_outputs(const struct wear_request *req, const struct wear_run *run,
        const struct torture_dev *dev, const struct wear_metrics *m, const char *failure) {
    if (write_blocks(req->out, run, dev->bd) < 0 || write_series(req->out, run) < 0) {
        return -1;
    }
    return write_summary(req, run, dev, m, failure);
}

static void write_compared_point(FILE *f, const char *name, const struct wear_point *p,
        uint64_t ideal) {
    fprintf(f, ", \"%s\": ", name);
    if (!p->reached) {
        fprintf(f, "null");
        return;
    }
    fprintf(f, "{\"iteration\": %" PRIu64 ", \"app_bytes\": %" PRIu64 ", \"ideal_share\": %.17g}",
            p->iteration, p->app_bytes, ideal ? (double)p->wear / (double)ideal : 0.0);
}

int wear_write_comparison(const char *dir, const char *tcase, const char *define,
        const struct wear_compared *runs, size_t n) {
    FILE *f = open_in(dir, "comparison.json");
    if (!f) {
        return -1;
    }
    fprintf(f, "{\n  \"case\": ");
    wear_json_string(f, tcase);
    fprintf(f, ",\n  \"define\": ");
    wear_json_string(f, define);
    fprintf(f, ",\n  \"runs\": [\n");
    for (size_t i = 0; i < n; i++) {
        const struct wear_compared *r = &runs[i];
        fprintf(f, "    {\"value\": %jd, \"dir\": ", r->value);
        wear_json_string(f, r->dir);
        fprintf(f, ", \"problem\": ");
        if (r->problem) {
            wear_json_string(f, r->problem);
        } else {
            fprintf(f, "null");
        }
        if (r->m->done) {
            const struct wear_metrics *m = r->m;
            uint64_t ideal = (uint64_t)m->blocks * m->erase_cycles;
            fprintf(f, ", \"end\": \"%s\", \"iterations\": %" PRIu64 ", \"app_bytes\": %" PRIu64
                    ", \"max_over_mean\": %.17g, \"gini\": %.17g, \"stddev\": %.17g"
                    ", \"write_amplification\": %.17g",
                    end_name(m->end), m->iterations, m->app_bytes,
                    m->stats.mean > 0 ? m->stats.max / m->stats.mean : 0.0,
                    m->stats.gini, m->stats.stddev, m->write_amplification);
            write_compared_point(f, "first_bad", &m->first_bad, ideal);
            write_compared_point(f, "fs_end", &m->fs_end, ideal);
        }
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (close_checked(f, dir, "comparison.json") < 0) {
        return -1;
    }
    f = open_in(dir, "comparison.csv");
    if (!f) {
        return -1;
    }
    fprintf(f, "%s,end,iterations,app_bytes,first_bad_iteration,fs_end_iteration,"
            "max_over_mean,gini,stddev,write_amplification,problem\n", define);
    for (size_t i = 0; i < n; i++) {
        const struct wear_metrics *m = runs[i].m;
        fprintf(f, "%jd", runs[i].value);
        if (m->done) {
            fprintf(f, ",%s,%" PRIu64 ",%" PRIu64 ",", end_name(m->end), m->iterations,
                    m->app_bytes);
            if (m->first_bad.reached) {
                fprintf(f, "%" PRIu64, m->first_bad.iteration);
            }
            fputc(',', f);
            if (m->fs_end.reached) {
                fprintf(f, "%" PRIu64, m->fs_end.iteration);
            }
            fprintf(f, ",%.6g,%.6g,%.6g,%.6g,", m->stats.mean > 0 ? m->stats.max / m->stats.mean : 0.0,
                    m->stats.gini, m->stats.stddev, m->write_amplification);
        } else {
            fprintf(f, ",,,,,,,,,,");
        }
        if (runs[i].problem) {
            fputc('"', f);
            for (const char *p = runs[i].problem; *p; p++) {
                if (*p == '"') {
                    fputs("\"\"", f);
                } else {
                    fputc(*p == '\n' ? ' ' : *p, f);
                }
            }
            fputc('"', f);
        }
        fputc('\n', f);
    }
    return close_checked(f, dir, "comparison.csv");
}
