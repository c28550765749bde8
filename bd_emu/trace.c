/*
 * trace.c - the operation trace: every read, prog, erase and sync call (also
 * refused or failed ones) reaches the callback and/or the file, in call
 * order.  An operation interrupted by a power cut is traced with result
 * LFS_ERR_IO before the power-loss callback runs.
 */
#include "bd_emu_internal.h"

#include <inttypes.h>

static const char *const op_names[] = {
    [BD_EMU_OP_READ] = "read",
    [BD_EMU_OP_PROG] = "prog",
    [BD_EMU_OP_ERASE] = "erase",
    [BD_EMU_OP_SYNC] = "sync",
};

void bd_emu_set_trace(bd_emu_t *bd, bd_emu_trace_cb cb, void *ctx)
{
    bd->trace_cb = cb;
    bd->trace_ctx = ctx;
}

void bd_emu_set_trace_file(bd_emu_t *bd, FILE *f)
{
    bd->trace_file = f;
}

void bde_trace(bd_emu_t *bd, enum bd_emu_op op, uint32_t block, uint32_t off,
        uint32_t size, int result)
{
    if (bd->trace_cb) {
        struct bd_emu_trace_event ev = { op, block, off, size, result };
        bd->trace_cb(bd->trace_ctx, &ev);
    }
    if (bd->trace_file) {
        fprintf(bd->trace_file, "%s %" PRIu32 " %" PRIu32 " %" PRIu32 " %d\n",
                op_names[op], block, off, size, result);
    }
}
