/* h2k-convert: prove the output holds what the source holds.
 *
 * `qemu-img compare -f AFMT -F BFMT A B` compares what a guest would read
 * from both images; it exits 0 when identical, 1 when different (saying
 * "Content mismatch at offset N!" or "Image size mismatch!" on stdout) and
 * 2 or more on errors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "qemu-img.h"
#include "run.h"

#include "convert.h"

struct compare_out {
  struct progress *prog;
  char *last;                   /* the last line that was not progress */
};

static void
compare_line (const char *line, void *opaque)
{
  struct compare_out *c = opaque;
  double pct;

  if (progress_parse (line, &pct) == -1) {
    free (c->last);
    c->last = strdup (line);
  }
  if (c->prog)
    progress_line (line, c->prog);
}

int
compare_images (const char *a, const char *a_fmt, const char *b,
                const char *b_fmt, struct progress *prog, char **detail)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_FREE char *line = NULL;
  struct compare_out c = { prog, NULL };
  const char *qa = h2k_qemu_format (a_fmt), *qb = h2k_qemu_format (b_fmt);
  const char *argv[12];
  size_t i = 0;
  int r = -1;

  *detail = NULL;
  argv[i++] = "qemu-img";
  argv[i++] = "compare";
  if (prog && (prog->tty || h2k_verbose))
    argv[i++] = "-p";
  argv[i++] = "-f";
  argv[i++] = qa ? qa : a_fmt;
  argv[i++] = "-F";
  argv[i++] = qb ? qb : b_fmt;
  argv[i++] = "--";
  argv[i++] = a;
  argv[i++] = b;
  argv[i] = NULL;

  if (h2k_run_lines (argv, H2K_RUN_ERR, compare_line, &c, &res) == -1) {
    if (prog)
      progress_end (prog);
    goto out;
  }
  if (prog)
    progress_end (prog);
  if (h2k_verbose && res.err_len > 0)
    fwrite (res.err, 1, res.err_len, stderr);
  switch (res.status) {
  case 0:
    r = 1;
    break;
  case 1:
    *detail = c.last;
    c.last = NULL;
    r = 0;
    break;
  default:
    line = h2k_run_err_line (&res);
    h2k_error ("%s: qemu-img compare with %s failed (exit %d)%s%s", b, a,
               res.status, line ? ": " : "", line ? line : "");
  }
 out:
  free (c.last);
  return r;
}
