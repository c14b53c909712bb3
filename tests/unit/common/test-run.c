/* Unit tests: common/run.c's resource limits, and qemu-img info under
 * them (common/qemu-img.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "cleanup.h"
#include "error.h"
#include "qemu-img.h"
#include "run.h"
#include "util.h"

/* The line of /proc/self/limits starting with NAME, as the child saw it. */
static char *
limit_line (const char *limits, const char *name)
{
  const char *p = strstr (limits, name);
  const char *nl = p ? strchr (p, '\n') : NULL;

  return p ? strndup (p, nl ? (size_t) (nl - p) : strlen (p)) : NULL;
}

/* Collapse runs of spaces, for comparing /proc/self/limits lines. */
static void
squeeze (char *s)
{
  char *start = s, *d = s;

  for (; *s; ++s)
    if (*s != ' ' || (d > start && d[-1] != ' '))
      *d++ = *s;
  while (d > start && d[-1] == ' ')
    d--;
  *d = '\0';
}

TEST (limits_applied)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[] = { "cat", "/proc/self/limits", NULL };
  CLEANUP_FREE char *as = NULL, *cpu = NULL;

  CHECK (h2k_run_limited (argv, H2K_RUN_OUT, &h2k_probe_limits, &res) == 0);
  CHECK_INT (res.status, 0);
  CHECK (res.out != NULL);
  if (res.out == NULL)
    return;
  as = limit_line (res.out, "Max address space");
  cpu = limit_line (res.out, "Max cpu time");
  if (as) squeeze (as);
  if (cpu) squeeze (cpu);
  CHECK_STR (as, "Max address space 1073741824 1073741824 bytes");
  CHECK_STR (cpu, "Max cpu time 30 31 seconds");
}

/* Without limits, the child inherits ours (not the probe's). */
TEST (no_limits)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[] = { "cat", "/proc/self/limits", NULL };
  CLEANUP_FREE char *cpu = NULL;

  CHECK (h2k_run (argv, H2K_RUN_OUT, &res) == 0);
  cpu = res.out ? limit_line (res.out, "Max cpu time") : NULL;
  if (cpu) squeeze (cpu);
  CHECK (cpu && strcmp (cpu, "Max cpu time 30 31 seconds") != 0);
}

/* A qemu-img that spins: the probe is killed at its CPU limit and the
 * error says so, naming the file.
 */
TEST (cpu_limit_kills_probe)
{
  CLEANUP_FREE char *dir = h2k_make_temp_dir ("h2k-test-run");
  CLEANUP_FREE char *fake = NULL, *path = NULL, *old_path = NULL;
  struct h2k_run_limits saved = h2k_probe_limits;
  FILE *fp;
  json_object *j;
  const char *e;

  CHECK (dir != NULL);
  if (dir == NULL || asprintf (&fake, "%s/qemu-img", dir) == -1)
    abort ();
  fp = fopen (fake, "w");
  if (fp == NULL || fputs ("#!/bin/sh\nwhile :; do :; done\n", fp) == EOF ||
      fclose (fp) != 0 || chmod (fake, 0755) == -1)
    abort ();
  old_path = strdup (getenv ("PATH") ? getenv ("PATH") : "/usr/bin:/bin");
  if (old_path == NULL || asprintf (&path, "%s:%s", dir, old_path) == -1)
    abort ();
  setenv ("PATH", path, 1);
  h2k_probe_limits.cpu_seconds = 1;
  h2k_clear_error ();
  j = h2k_qemu_img_info ("/images/crafted.qcow2", "qcow2", 0);
  CHECK (j == NULL);
  json_object_put (j);
  e = h2k_first_error ();
  CHECK_STR (e, "/images/crafted.qcow2: qemu-img info: the probe exceeded "
             "its CPU time limit (1 s) and was killed");
  h2k_clear_error ();
  h2k_probe_limits = saved;
  setenv ("PATH", old_path, 1);
  h2k_remove_tree (dir);
}

int
main (void)
{
  RUN (limits_applied);
  RUN (no_limits);
  RUN (cpu_limit_kills_probe);
  return test_done ();
}
