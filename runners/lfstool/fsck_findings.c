/*
 * fsck_findings.c - what fsck found: a list of findings (severity, block,
 * offset, a stable kind keyword and a message), the exit status they give,
 * and their text and JSON forms.
 *
 * Text: one line per finding, "SEVERITY: block 0xB off 0xO: MESSAGE",
 * then one summary line. JSON: {"image", "status", "status_text",
 * "findings": [{"severity", "block", "off", "kind", "message"}], "stats"}.
 */
#include "fsck.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const char *severity_name[] = {"info", "repair", "error", "fatal"};
static const char *status_text[] = {
    "clean", "consistent, needs the mount-time repair",
    "corrupt: data lost or unreachable", "not a littlefs image or unreadable",
};

void fsck_report_add(struct fsck_report *r, enum fsck_severity sev,
        uint32_t block, uint32_t off, const char *kind, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (r->count == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        struct fsck_finding *f = realloc(r->findings, sizeof(*f) * (size_t)cap);
        if (!f) {
            return;     /* out of memory: the finding is lost, not the run */
        }
        r->findings = f;
        r->cap = cap;
    }
    char *msg = malloc(strlen(buf) + 1);
    if (!msg) {
        return;
    }
    strcpy(msg, buf);
    r->findings[r->count++] = (struct fsck_finding){sev, block, off, kind, msg};
}

void fsck_report_free(struct fsck_report *r)
{
    for (int i = 0; i < r->count; i++) {
        free(r->findings[i].message);
    }
    free(r->findings);
    memset(r, 0, sizeof(*r));
}

int fsck_report_status(const struct fsck_report *r)
{
    int status = 0;
    for (int i = 0; i < r->count; i++) {
        int s = (int)r->findings[i].severity;   /* INFO 0 .. FATAL 3 */
        if (s > status) {
            status = s;
        }
    }
    return status;
}

static void print_where(FILE *out, const struct fsck_finding *f)
{
    if (f->block == FSCK_NO_BLOCK) {
        fprintf(out, "filesystem: ");
    } else {
        fprintf(out, "block 0x%x off 0x%x: ", (unsigned)f->block, (unsigned)f->off);
    }
}

void fsck_report_print(FILE *out, const struct fsck_report *r, const char *image)
{
    int counts[4] = {0};
    for (int i = 0; i < r->count; i++) {
        const struct fsck_finding *f = &r->findings[i];
        counts[f->severity]++;
        fprintf(out, "%s: ", severity_name[f->severity]);
        print_where(out, f);
        fprintf(out, "%s\n", f->message);
    }
    int status = fsck_report_status(r);
    fprintf(out, "%s: %s; %d fatal, %d errors, %d repairable, %d notes; "
            "%u pairs, %u directories, %u files, %u blocks in use",
            image, status_text[status], counts[FSCK_FATAL], counts[FSCK_ERROR],
            counts[FSCK_REPAIR], counts[FSCK_INFO], (unsigned)r->pairs,
            (unsigned)r->dirs, (unsigned)r->files, (unsigned)r->blocks_used);
    if (r->fs_size >= 0) {
        fprintf(out, " (lfs_fs_size %ld)", r->fs_size);
    }
    fprintf(out, "; status %d\n", status);
}

void fsck_report_json(FILE *out, const struct fsck_report *r, const char *image)
{
    int status = fsck_report_status(r);
    fprintf(out, "{\"image\": ");
    json_string(out, image, strlen(image));
    fprintf(out, ", \"status\": %d, \"status_text\": \"%s\", \"disk_version\": "
            "\"0x%08x\",\n \"stats\": {\"pairs\": %u, \"dirs\": %u, \"files\": %u, "
            "\"blocks_used\": %u, \"fs_size\": %ld},\n \"findings\": [",
            status, status_text[status], (unsigned)r->disk_version,
            (unsigned)r->pairs, (unsigned)r->dirs, (unsigned)r->files,
            (unsigned)r->blocks_used, r->fs_size);
    for (int i = 0; i < r->count; i++) {
        const struct fsck_finding *f = &r->findings[i];
        fprintf(out, "%s\n  {\"severity\": \"%s\", ", i ? "," : "",
                severity_name[f->severity]);
        if (f->block == FSCK_NO_BLOCK) {
            fprintf(out, "\"block\": null, \"off\": null, ");
        } else {
            fprintf(out, "\"block\": %u, \"off\": %u, ", (unsigned)f->block,
                    (unsigned)f->off);
        }
        fprintf(out, "\"kind\": \"%s\", \"message\": ", f->kind);
        json_string(out, f->message, strlen(f->message));
        fprintf(out, "}");
    }
    fprintf(out, "%s]}\n", r->count ? "\n " : "");
}
