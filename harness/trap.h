/*
 * trap.h - where a failed assertion or a power cut unwinds to.
 *
 * Whoever runs case code pushes a trap and calls setjmp on it. A failure
 * (torture_fail and the assertion helpers of torture_case.h) writes its
 * message into the innermost trap and longjmps there with TORTURE_TRAP_FAIL;
 * a power cut longjmps with TORTURE_TRAP_CUT. Traps nest: a crash point's
 * judge runs inside the hook of the run being recorded.
 */
#ifndef TORTURE_TRAP_H
#define TORTURE_TRAP_H

#include <setjmp.h>

#define TORTURE_MESSAGE_MAX 4096

enum torture_trap_reason {
    TORTURE_TRAP_FAIL = 1,      /* message holds the failure */
    TORTURE_TRAP_CUT  = 2,      /* power was cut; restart the case */
    TORTURE_TRAP_DONE = 3,      /* the replayed crash point was judged; stop */
};

/* Use as `if (setjmp(trap.jmp) == 0) { ... } else { torture_trap_reason() }`
 * (setjmp's value may not be stored, C99 7.13.1.1). */
struct torture_trap {
    jmp_buf jmp;
    struct torture_trap *prev;
};

void torture_trap_push(struct torture_trap *trap);
/* Pops `trap` and any trap pushed after it and not popped (abandoned by a
 * longjmp past its owner). */
void torture_trap_pop(struct torture_trap *trap);
/* longjmps to the innermost trap; with no trap, prints the message of a
 * failure and exits with status 3. */
void torture_trap_raise(int reason)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
/* Calls fn(arg) under a trap of its own. Returns 0 when fn returns, 1
 * when it raised `reason`; any other raise goes on to the enclosing trap. */
int torture_trap_catch(int reason, void (*fn)(void *arg), void *arg);
/* Why the last raise happened. */
int torture_trap_reason(void);
/* The message of the failure in flight: written before a FAIL is raised,
 * read by the trap that catches it. One per process, outside any setjmp
 * frame, so it survives the longjmp. */
char *torture_trap_message(void);

#endif
