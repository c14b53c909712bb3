/* h2k-validate: plan the boot, run it, judge it.  The files it uses:
 * tmpfiles.c (the private directory, overlays, the kept serial log),
 * watch.c (QEMU and the sockets, the watch loop), record.c (the verdict
 * and the validation object).
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
#include "windows.h"


int
run_warn (struct run *r, const char *fs, ...)
{
  CLEANUP_FREE char *s = NULL;
  va_list ap;
  int n;

  va_start (ap, fs);
  n = vasprintf (&s, fs, ap);
  va_end (ap);
  if (n == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_json_array_add_string (r->warnings, s) == -1)
    return -1;
  h2k_warning ("%s", s);
  return 0;
}

static int
plan_disks (struct run *r)
{
  json_object *disks = h2k_json_get_array (r->m, "disks");
  size_t n = disks ? json_object_array_length (disks) : 0;

  if (n == 0) {
    h2k_error ("<stdin>: /disks: no disk to boot");
    return -1;
  }
  if (strcmp (r->o->bus, "sata") == 0 && n > 6) {
    h2k_error ("<stdin>: /disks: %zu disks, but --bus sata takes at most 6", n);
    return -1;
  }
  r->disks = calloc (n, sizeof *r->disks);
  if (r->disks == NULL) {
    h2k_error ("%m");
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (plan_disk (json_object_array_get_idx (disks, i), i, "<stdin>",
                   &r->disks[i]) == -1)
      return -1;
    r->cfg.n_disks++;
  }
  r->cfg.disks = r->disks;
  return 0;
}

/* --kernel and --initrd, made absolute: they are recorded. */
static int
boot_file (const char *opt, const char *path, char **abs)
{
  if (path == NULL)
    return 0;
  if (access (path, R_OK) == -1) {
    h2k_error ("%s: %s: %m", opt, path);
    return -1;
  }
  *abs = h2k_absolute_path (path);
  return *abs ? 0 : -1;
}

static int
boot_files (struct run *r)
{
  if (boot_file ("--kernel", r->o->kernel, &r->kernel) == -1 ||
      boot_file ("--initrd", r->o->initrd, &r->initrd) == -1)
    return -1;
  r->cfg.kernel = r->kernel;
  r->cfg.initrd = r->initrd;
  return 0;
}

static int
plan_vm (struct run *r)
{
  json_object *vm = h2k_json_get_object (r->m, "vm");
  const char *fw = h2k_json_get_string (vm, "firmware");
  int64_t mem = h2k_json_get_int (vm, "memory_mb", 1024);

  r->cfg.machine = r->o->machine;
  r->cfg.bus = r->o->bus;
  if (boot_files (r) == -1)
    return -1;
  r->cfg.append = r->o->append;
  r->cfg.firmware = fw && strcmp (fw, "uefi") == 0 ? "uefi" : "bios";
  if (fw == NULL || strcmp (fw, "unknown") == 0) {
    if (run_warn (r, "vm.firmware is %s: booting with BIOS (SeaBIOS)",
              fw ? fw : "not set") == -1)
      return -1;
  }
  if (h2k_json_get_bool (vm, "secure_boot", 0) &&
      run_warn (r, "vm.secure_boot: Secure Boot is not emulated by this test") == -1)
    return -1;
  if (strcmp (r->cfg.firmware, "uefi") == 0 &&
      qemu_find_ovmf (&r->cfg.ovmf_code, &r->vars_template) == -1)
    return -1;
  r->cfg.memory_mb = (int) (mem > r->o->memory_cap ? r->o->memory_cap : mem);
  if (r->cfg.memory_mb < mem)
    h2k_debug ("memory %" PRId64 " MiB capped at %d MiB", mem, r->cfg.memory_mb);
  r->cfg.accel = h2k_accel ();
  r->cfg.cpus = 1;
  if (strcmp (r->cfg.accel, "kvm") == 0) {
    int64_t cpus = h2k_json_get_int (vm, "cpus", 1);
    r->cfg.cpus = cpus > 4 ? 4 : (int) cpus;
  }
  r->timeout = r->o->timeout > 0 ? r->o->timeout
    : strcmp (r->cfg.accel, "kvm") == 0 ? VALIDATE_TIMEOUT_KVM
    : VALIDATE_TIMEOUT_TCG;
  return 0;
}

void
run_echo_line (const char *line)
{
  fprintf (stderr, "%s: serial: %s\n", h2k_progname, line);
}

int
run_beacon_line (void *opaque, const char *line)
{
  struct run *r = opaque;

  return beacon_feed_line (&r->beacon, line) == -1 ? -1 : 0;
}

int
run_fail_unchecked (struct run *r, const char *reason)
{
  if (run_record (r, reason, "not-checked") == -1)
    return -1;
  h2k_error ("validation failed: %s", reason);
  return -1;
}

/* A failed offline check: recorded, and no boot. */
static int
offline_failed (struct run *r)
{
  json_object *errors = h2k_json_get_array (r->offline, "errors");
  size_t n = errors ? json_object_array_length (errors) : 1;
  CLEANUP_FREE char *reason = NULL;

  if (asprintf (&reason, "offline check: %s%s", r->offline_failure,
                n > 1 ? " (and more: see validation.offline.errors)" : "") == -1) {
    h2k_error ("%m");
    return -1;
  }
  return run_fail_unchecked (r, reason);
}

static int
boot (struct run *r)
{
  CLEANUP_FREE char *buf = NULL;
  const char *reason, *net_status;
  int ret;

  /* Windows two-phase: phase 1 first (nothing otherwise). */
  if (windows_first_phase (r) == -1)
    return -1;
  if (run_make_overlays (r) == -1 || run_offline (r) == -1)
    return -1;
  if (r->offline_failure)
    return offline_failed (r);
  if (r->cfg.ovmf_vars && run_copy_file (r->vars_template, r->cfg.ovmf_vars) == -1)
    return -1;
  if (strcmp (r->signal, "beacon") == 0) {
    beacon_init (&r->beacon, r->token);
    r->con.on_line = run_beacon_line;
    r->con.opaque = r;
  }
  h2k_info ("booting %s (%s, %s, %s); waiting up to %.0f s for the %s",
            h2k_json_get_string (h2k_json_get_object (r->m, "vm"), "name"),
            r->cfg.accel, r->cfg.firmware, r->cfg.bus, r->timeout,
            strcmp (r->signal, "beacon") == 0 ? "beacon" : "login prompt");
  if (run_start_qemu (r) == -1)
    return -1;
  ret = run_watch (r);
  run_stop_qemu (r);
  if (ret == -1)
    return -1;
  if (console_flush (&r->con) == -1 || run_keep_serial_log (r) == -1)
    return -1;
  reason = run_judge (r, &buf, &net_status);
  if (run_record (r, reason, net_status) == -1)
    return -1;
  if (reason) {
    if (r->con.failure)
      h2k_error ("validation failed: %s: %s", reason, r->con.failure);
    else
      h2k_error ("validation failed: %s", reason);
    return -1;
  }
  h2k_info ("validation passed: %s after %.0f s, network %s",
            r->signal, r->boot_seconds, net_status);
  return 0;
}

static void
free_run (struct run *r)
{
  run_stop_qemu (r);
  run_close_sockets (r);
  if (r->serial_fd >= 0)
    close (r->serial_fd);
  windows_free (r);
  run_remove_tmpdir (r);
  for (size_t i = 0; r->disks && i < r->cfg.n_disks; ++i)
    free (r->disks[i].overlay);
  free (r->disks);
  net_plan_free (&r->net);
  console_free (&r->con);
  json_object_put (r->warnings);
  free (r->tmpdir);
  free (r->serial_log);
  free (r->qemu_out);
  free (r->vars);
  h2k_free_strv (r->argv);
  free (r->kept_log);
  free (r->kernel);
  free (r->initrd);
  json_object_put (r->offline);
  json_object_put (r->beacon_json);
  free (r->offline_failure);
  free (r->signal_reason);
  beacon_free (&r->beacon);
}

int
validate_run (json_object *m, const struct validate_opts *o)
{
  struct run r = { .m = m, .o = o, .serial_fd = -1, .signal = o->signal };
  int ret = -1;

  if ((r.warnings = json_object_new_array ()) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if (console_init (&r.con, o->expect) == -1)
    goto out;
  if (h2k_verbose)
    r.con.echo = run_echo_line;
  if (plan_disks (&r) == -1 || windows_prepare (&r) == -1 || plan_vm (&r) == -1 ||
      windows_configure (&r) == -1 || net_plan_build (m, "<stdin>", &r.net) == -1)
    goto out;
  r.cfg.net = &r.net;
  for (size_t i = 0; i < json_object_array_length (r.net.warnings); ++i)
    if (run_warn (&r, "%s", json_object_get_string (json_object_array_get_idx (r.net.warnings, i))) == -1)
      goto out;
  if (run_make_tmpdir (&r) == -1 || run_open_sockets (&r) == -1 ||
      (r.argv = qemu_build_argv (&r.cfg)) == NULL)
    goto out;
  if (o->dry_run || h2k_verbose) {
    CLEANUP_FREE char *cmd = h2k_argv_to_string ((const char *const *) r.argv);
    h2k_info ("%s%s", o->dry_run ? "would run: " : "", cmd ? cmd : "?");
  }
  if (o->dry_run && windows_dry_run (&r) == -1)
    goto out;
  ret = o->dry_run ? 0 : boot (&r);
 out:
  free_run (&r);
  return ret;
}
