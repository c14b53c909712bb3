/* h2k-convert: shared between its files.
 *
 * main.c parses options and calls convert_all (convert.c), which plans
 * every disk (output names from plan.c), checks every source (check.c),
 * converts each disk to a temporary file in the output directory (argv.c
 * builds the qemu-img command, progress.c shows its progress), verifies
 * it (check.c: qemu-img check; compare.c: qemu-img compare) and, only
 * when every disk succeeded, publishes them all and records
 * disks[].output.
 */
#ifndef H2K_CONVERT_H
#define H2K_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct convert_opts {
  const char *format;           /* output format: qcow2 (default), raw, vdi */
  const char *compress;         /* NULL, "zstd" or "zlib" (qcow2 only) */
  const char *preallocation;    /* off (default), metadata, falloc, full */
  const char *output_dir;       /* as given, or NULL: <workdir>/out */
  int force;                    /* overwrite existing outputs */
  int compare;                  /* run qemu-img compare (default 1) */
  int dry_run;
  int progress;                 /* draw progress bars on stderr */
};

/* argv.c ------------------------------------------------------------------ */

/* Check the combination of output format, compression and preallocation.
 * Returns 0, or -1 with a message (not reported) in *why.
 */
int convert_check_opts (const struct convert_opts *o, const char **why);

/* The file name extension for an output format ("qcow2", "raw", "vdi"). */
const char *convert_format_ext (const char *format);

#define CONVERT_ARGV_MAX 40

/* A qemu-img command line.  argv points into opts and the caller's
 * strings; opts is owned.
 */
struct convert_argv {
  const char *argv[CONVERT_ARGV_MAX];
  char *opts;
};

/* Build `qemu-img convert` of SRC (our format name SRC_FMT) to DST in
 * O's format.  PROGRESS adds -p.  Returns 0, or -1 reported (unknown
 * format, ENOMEM).  Free with convert_argv_free.
 */
int convert_build_argv (const struct convert_opts *o, const char *src_fmt,
                        const char *src, const char *dst, int progress,
                        struct convert_argv *a);
void convert_argv_free (struct convert_argv *a);

/* plan.c ------------------------------------------------------------------ */

/* S made safe as part of a file name: bytes outside [A-Za-z0-9._-] become
 * '_', a leading '.' or '-' becomes '_', at most CONVERT_NAME_MAX bytes; an
 * empty result becomes FALLBACK.  Caller frees; NULL on ENOMEM (reported).
 */
#define CONVERT_NAME_MAX 100
char *convert_safe_name (const char *s, const char *fallback);

/* "<safe vm name>-<safe disk id>.<ext>".  Caller frees; NULL reported. */
char *convert_output_name (const char *vm_name, const char *disk_id,
                           const char *format);

/* progress.c -------------------------------------------------------------- */

/* Parse a qemu-img progress record, "    (12.34/100%)".  0 and *pct in
 * [0, 100], or -1 if REC is not one.
 */
int progress_parse (const char *rec, double *pct);

/* Format "LABEL [#####-----]  45%" into BUF (LEN bytes), the bar WIDTH
 * characters wide.
 */
void progress_format (char *buf, size_t len, const char *label, double pct,
                      int width);

struct progress {
  const char *label;            /* e.g. "disk0: converting" */
  int tty;                      /* redraw one line on stderr */
  double last;                  /* last shown percentage, -1 at first */
  int drawn;                    /* something is on the line */
};

void progress_init (struct progress *p, const char *label, int tty);
/* An h2k_run_line_fn: OPAQUE is a struct progress. */
void progress_line (const char *line, void *opaque);
/* Clear the bar line. */
void progress_end (struct progress *p);

/* check.c ----------------------------------------------------------------- */

enum check_status {
  CHECK_CLEAN,
  CHECK_LEAKS,
  CHECK_CORRUPT,
  CHECK_NOT_SUPPORTED,
};

struct check_result {
  enum check_status status;
  int64_t corruptions;
  int64_t leaks;
};

const char *check_status_name (enum check_status s);

/* Interpret `qemu-img check --output=json`: its exit status and stdout.
 * Returns 0, or -1 when the check could not be done, with the reason (not
 * reported) in *why.
 */
int check_parse (int exit_status, const char *out, struct check_result *r,
                 const char **why);

/* Run qemu-img check on PATH (our format name FORMAT).  Returns 0, or -1
 * reported as "PATH: qemu-img check: ...".
 */
int check_image (const char *path, const char *format, struct check_result *r);

/* compare.c --------------------------------------------------------------- */

/* Compare the guest-visible content of A and B with qemu-img compare.
 * Returns 1 identical, 0 different (the reason, qemu-img's line, in
 * *detail, which the caller frees), -1 reported.
 */
int compare_images (const char *a, const char *a_fmt, const char *b,
                    const char *b_fmt, struct progress *prog, char **detail);

/* convert.c --------------------------------------------------------------- */

/* Convert every disk of M as O says and record disks[].output.  All or
 * nothing: outputs are published only when all disks converted and
 * verified.  Returns 0 and the published paths in *PUBLISHED (NULL for a
 * dry run; the caller frees it with h2k_free_strv), or -1 reported.
 */
int convert_all (json_object *m, const struct convert_opts *o,
                 char ***published);

/* Remove the published outputs again (when the manifest could not be
 * written), saying so on stderr.
 */
void convert_unpublish (char **published);

/* Set by main's signal handler: stop at the next step. */

#endif
