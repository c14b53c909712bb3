/* h2k-convert: qemu-img's progress, redrawn on our stderr.
 *
 * qemu-img -p writes records like "    (12.34/100%)\r" to its stdout.  We
 * read them (h2k_run_lines) and draw one bar line on stderr when stderr is
 * a terminal; with -v and no terminal, a debug line every 10%.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#include "convert.h"

#define BAR_WIDTH 30

int
progress_parse (const char *rec, double *pct)
{
  double v;
  int end = 0;

  while (*rec == ' ' || *rec == '\t')
    rec++;
  if (sscanf (rec, "(%lf/100%%)%n", &v, &end) != 1 || end == 0 ||
      rec[end] != '\0' || !(v >= 0 && v <= 100))
    return -1;
  *pct = v;
  return 0;
}

void
progress_format (char *buf, size_t len, const char *label, double pct,
                 int width)
{
  char bar[128];
  int fill;

  if (width > (int) sizeof bar - 1)
    width = sizeof bar - 1;
  if (width < 0)
    width = 0;
  fill = (int) (pct / 100.0 * width + 0.5);
  if (fill > width)
    fill = width;
  memset (bar, '#', fill);
  memset (bar + fill, '-', width - fill);
  bar[width] = '\0';
  snprintf (buf, len, "%s [%s] %3d%%", label, bar, (int) pct);
}

void
progress_init (struct progress *p, const char *label, int tty)
{
  p->label = label;
  p->tty = tty;
  p->last = -1;
  p->drawn = 0;
}

void
progress_line (const char *line, void *opaque)
{
  struct progress *p = opaque;
  char buf[256];
  double pct;

  if (progress_parse (line, &pct) == -1) {
    /* Not progress (e.g. "Images are identical."): only with -v. */
    h2k_debug ("%s: %s", p->label, line);
    return;
  }
  if (p->tty) {
    if ((int) pct == (int) p->last)
      return;
    progress_format (buf, sizeof buf, p->label, pct, BAR_WIDTH);
    fprintf (stderr, "\r%s: %s", h2k_progname, buf);
    fflush (stderr);
    p->drawn = 1;
  }
  else if (h2k_verbose &&
           (p->last < 0 || (int) (pct / 10) != (int) (p->last / 10)))
    h2k_debug ("%s: %d%%", p->label, (int) pct);
  else
    return;
  p->last = pct;
}

void
progress_end (struct progress *p)
{
  if (p->tty && p->drawn) {
    /* Erase the bar: what follows is a normal message line. */
    fputs ("\r\033[K", stderr);
    fflush (stderr);
  }
  p->drawn = 0;
  p->last = -1;
}
