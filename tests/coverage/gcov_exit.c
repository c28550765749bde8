/*
 * gcov_exit.c - makes _exit write the coverage counters (coverage builds only).
 *
 * The torture runner's forked workers end with _exit, which skips the atexit
 * handler that writes .gcda files, so their coverage of the core would be
 * lost. `make coverage` links every program with -Wl,--wrap=_exit and this
 * object: the wrapper dumps the counters, then exits for real. Assumes GCC's
 * libgcov (__gcov_dump) is linked, i.e. the program is built with --coverage.
 */
#include <stdlib.h>

void __gcov_dump(void);
void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status) {
    __gcov_dump();
    __real__exit(status);
}
