/*
 * run.c - one wear run: the defines (geometry, the case's first
 * permutation, -D overrides), the device, the workload under a trap, and
 * the figures.
 *
 * Runs in a process of its own (main.c forks one per run): the defines,
 * the trap stack and the active wear run are process globals.
 */
#include <stdio.h>
#include <string.h>

#include "defines.h"
#include "device.h"
#include "judge.h"
#include "output.h"
#include "run.h"
#include "trap.h"

static void set_defines(const struct wear_request *req) {
    torture_defines_reset();
    torture_geometry_apply(&req->geometry);
    if (req->tcase->permutations > 0) {
        torture_defines_apply_case(req->tcase, 0);
    }
    for (size_t i = 0; i < req->noverrides; i++) {
        torture_defines_set_const(req->overrides[i].define, req->overrides[i].value,
                TORTURE_LEVEL_CLI);
    }
}

static void fill_metrics(const struct wear_run *run, bd_emu_t *bd, struct wear_metrics *m,
        uint32_t erase_cycles) {
    struct bd_emu_counters c;
    bd_emu_counters(bd, &c);
    m->end = run->end;
    m->iterations = run->iterations;
    m->app_bytes = run->app_bytes;
    m->bytes_progged = c.bytes_progged;
    m->erases = c.erases;
    m->blocks = run->blocks;
    m->erase_cycles = erase_cycles;
    m->first_bad = run->first_bad;
    m->fs_end = run->fs_end;
    m->bad_blocks = 0;
    for (uint32_t b = 0; b < run->blocks; b++) {
        m->bad_blocks += bd_emu_is_bad(bd, b) == 1;
    }
    m->write_amplification = run->app_bytes
            ? (double)c.bytes_progged / (double)run->app_bytes : 0.0;
}

int wear_run_one(const struct wear_request *req, struct wear_metrics *m) {
    char err[TORTURE_MESSAGE_MAX];
    memset(m, 0, sizeof(*m));
    set_defines(req);
    struct bd_emu_config bdcfg;
    struct lfs_config cfg;
    bool keep;
    if (torture_dev_config(&bdcfg, &cfg, req->seed, err, sizeof(err)) < 0
            || torture_case_filter(req->tcase, &keep, err, sizeof(err)) < 0) {
        fprintf(stderr, "wear: %s: %s\n", req->tcase->name, err);
        return 2;
    }
    if (!keep) {
        fprintf(stderr, "wear: %s: its 'if' is false for these defines\n", req->tcase->name);
        return 2;
    }
    if (bdcfg.erase_cycles == 0) {
        fprintf(stderr, "wear: %s: ERASE_CYCLES is 0 (blocks never wear out); set it in "
                "the case or with -D ERASE_CYCLES=N\n", req->tcase->name);
        return 2;
    }
    bd_emu_t *bd = bd_emu_create(&bdcfg, err, sizeof(err));
    if (!bd) {
        fprintf(stderr, "wear: %s: device: %s\n", req->tcase->name, err);
        return 2;
    }
    struct torture_dev dev;
    torture_dev_wrap(&dev, &cfg, bd);
    struct wear_run run;
    if (wear_run_begin(&run, &req->opt, bd, cfg.block_count * dev.per_block) < 0) {
        fprintf(stderr, "wear: out of memory\n");
        torture_dev_close(&dev);
        return 2;
    }
    /* err is free again: it takes the workload's failure */
    const char *failure = torture_run_case(req->tcase, &dev, err, sizeof(err)) ? NULL : err;
    if (failure) {
        run.end = WEAR_END_FAILED;
    }
    wear_run_end(&run);
    fill_metrics(&run, bd, m, bdcfg.erase_cycles);
    int status = failure ? 1 : 0;
    m->failed = failure != NULL;
    if (wear_stats_compute(run.series.wear + (run.series.rows - 1) * run.blocks,
                run.blocks, &m->stats) < 0
            || wear_write_outputs(req, &run, &dev, m, failure) < 0) {
        status = 2;
    } else {
        m->done = true;
    }
    wear_run_free(&run);
    torture_dev_close(&dev);
    return status;
}
