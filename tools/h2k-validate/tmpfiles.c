/* h2k-validate: our private temporary directory (the overlays the guest
 * writes to, OVMF's variables, the serial log) and the serial log kept in
 * the workdir.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "validate.h"

#define SERIAL_LOG_NAME "validate-serial.log"

static char *
tmp_path (struct run *r, const char *name)
{
  char *p = h2k_path_join (r->tmpdir, name);
  return p;
}

int
run_make_tmpdir (struct run *r)
{
  const char *base = getenv ("TMPDIR");

  if (asprintf (&r->tmpdir, "%s/h2k-validate.XXXXXX",
                base && *base ? base : "/var/tmp") == -1) {
    r->tmpdir = NULL;
    h2k_error ("%m");
    return -1;
  }
  if (mkdtemp (r->tmpdir) == NULL) {
    h2k_error ("%s: %m", r->tmpdir);
    free (r->tmpdir);
    r->tmpdir = NULL;
    return -1;
  }
  r->serial_log = tmp_path (r, "serial.log");
  r->qemu_out = tmp_path (r, "qemu.out");
  r->vars = tmp_path (r, "OVMF_VARS.fd");
  if (!r->serial_log || !r->qemu_out || !r->vars)
    return -1;
  r->cfg.serial_log = r->serial_log;
  r->cfg.ovmf_vars = strcmp (r->cfg.firmware, "uefi") == 0 ? r->vars : NULL;
  for (size_t i = 0; i < r->cfg.n_disks; ++i) {
    char name[32];
    snprintf (name, sizeof name, "disk%zu.qcow2", i);
    if ((r->disks[i].overlay = tmp_path (r, name)) == NULL)
      return -1;
  }
  return 0;
}

void
run_remove_tmpdir (struct run *r)
{
  if (r->tmpdir == NULL)
    return;
  if (r->o->keep_tmpdir) {
    h2k_info ("kept %s (--keep-tmpdir)", r->tmpdir);
    return;
  }
  for (size_t i = 0; r->disks && i < r->cfg.n_disks; ++i)
    if (r->disks[i].overlay)
      unlink (r->disks[i].overlay);
  if (r->serial_log) unlink (r->serial_log);
  if (r->qemu_out) unlink (r->qemu_out);
  if (r->vars) unlink (r->vars);
  if (rmdir (r->tmpdir) == -1)
    h2k_warning ("%s: %m", r->tmpdir);
}

/* The throwaway overlays: the guest writes there, never to our images. */
int
run_make_overlays (struct run *r)
{
  for (size_t i = 0; i < r->cfg.n_disks; ++i) {
    struct qemu_disk *d = &r->disks[i];
    CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
    const char *argv[] = {
      "qemu-img", "create", "-q", "-f", "qcow2",
      "-F", d->base ? "qcow2" : h2k_qemu_format (d->format),
      "-b", d->base ? d->base : d->path, d->overlay, NULL
    };
    if (h2k_run_ok (argv, 0, &res) == -1)
      return -1;
  }
  return 0;
}

int
run_copy_file (const char *src, const char *dst)
{
  CLEANUP_CLOSE int in = open (src, O_RDONLY | O_CLOEXEC);
  CLEANUP_CLOSE int out = -1;
  char buf[65536];
  ssize_t n;

  if (in == -1) {
    h2k_error ("%s: %m", src);
    return -1;
  }
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out == -1) {
    h2k_error ("%s: %m", dst);
    return -1;
  }
  while ((n = read (in, buf, sizeof buf)) > 0)
    if (h2k_write_all (out, buf, (size_t) n) == -1) {
      h2k_error ("%s: %m", dst);
      return -1;
    }
  if (n == -1) {
    h2k_error ("%s: %m", src);
    return -1;
  }
  return 0;
}

int
run_keep_serial_log (struct run *r)
{
  return run_keep_log_as (r, r->serial_log, SERIAL_LOG_NAME, &r->kept_log);
}

int
run_keep_log_as (struct run *r, const char *log, const char *name, char **kept)
{
  const char *workdir = h2k_json_get_string (r->m, "workdir");
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
  CLEANUP_CLOSE int in = -1;
  char buf[65536];
  ssize_t n;

  if (workdir == NULL) {
    h2k_debug ("no workdir: the serial log is not kept");
    return 0;
  }
  if ((*kept = h2k_path_join (workdir, name)) == NULL ||
      h2k_mkdir_p (workdir) == -1 || h2k_publish_begin (*kept, &p) == -1)
    return -1;
  in = open (log, O_RDONLY | O_CLOEXEC);
  if (in == -1) {
    h2k_error ("%s: %m", log);
    return -1;
  }
  while ((n = read (in, buf, sizeof buf)) > 0)
    if (h2k_write_all (p.fd, buf, (size_t) n) == -1) {
      h2k_error ("%s: %m", p.tmp);
      return -1;
    }
  if (n == -1) {
    h2k_error ("%s: %m", log);
    return -1;
  }
  return h2k_publish_commit (&p);
}

/* The last line QEMU printed, for messages.  Caller frees. */
