/*
 * oracle.h - the crash oracle: judges every crash point against the
 * filesystem's own promises, with no help from the case.
 */
#ifndef TORTURE_ORACLE_H
#define TORTURE_ORACLE_H

#include <stdbool.h>
#include "engine.h"

/* Runs e's case once with every (or the chosen) crash point judged by the
 * oracle, reporting "none" for the run itself if report_none. */
void torture_oracle_run(struct engine *e, bool report_none);

#endif
