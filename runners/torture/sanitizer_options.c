/*
 * sanitizer_options.c - defaults for ASan/UBSan when build/torture is built
 * with them: stop at the first report, so a worker with undefined behaviour
 * dies (and its permutation fails with the report) instead of carrying on.
 * The runtimes look these functions up at start-up; without sanitizers
 * they are never called.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void) {
    return "abort_on_error=0:detect_leaks=1:print_summary=1";
}

const char *__ubsan_default_options(void) {
    return "halt_on_error=1:print_stacktrace=1";
}
