/* h2k-validate: the boot phases of a Windows guest.
 *
 * h2k-fix-windows records how the guest must first boot in the
 * manifest's "windows_boot": one final phase, or two phases: the first
 * boots the system disk on SATA with a blank scratch disk on the virtio
 * bus, so that Windows installs and binds the virtio storage driver (the
 * first-boot runner runs its steps, our beacon last, and powers off);
 * the second boots the system disk on virtio.  Each phase runs on its
 * own throwaway overlays, phase 2's backed by phase 1's, so what phase 1
 * installed is there.  Each is recorded in validation.phases[].
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

#define SERIAL_PHASE1 "serial-phase1.log"
#define SCRATCH_NAME "scratch.qcow2"
#define KEPT_PHASE1 "validate-serial-phase1.log"

/* What the run keeps for Windows, beside the plan. */
struct win_state {
  struct win_plan plan;
  char *scratch;                /* phase 1's scratch disk */
  char *serial1;                /* phase 1's serial log */
  char *kept1;                  /* ... kept in the workdir */
};

/* The plan --------------------------------------------------------------------- */

static int
read_phase (json_object *jp, size_t i, struct win_phase *p)
{
  json_object *sd = h2k_json_get_object (jp, "scratch_disk");

  p->number = (int) h2k_json_get_int (jp, "phase", (int64_t) i + 1);
  p->name = h2k_json_get_string (jp, "name");
  p->bus = h2k_json_get_string (jp, "system_bus");
  p->nic = h2k_json_get_string (jp, "nic");
  p->ends = h2k_json_get_string (jp, "ends");
  if (p->number != (int) i + 1) {
    h2k_error ("<stdin>: /windows_boot/phases/%zu/phase: %d, expected %zu", i,
               p->number, i + 1);
    return -1;
  }
  if (p->bus && !validate_bus_ok (p->bus)) {
    h2k_error ("<stdin>: /windows_boot/phases/%zu/system_bus: \"%s\": expected "
               "virtio-blk, virtio-scsi or sata", i, p->bus);
    return -1;
  }
  if (p->nic && strcmp (p->nic, "virtio") != 0) {
    h2k_error ("<stdin>: /windows_boot/phases/%zu/nic: \"%s\": h2k-validate "
               "boots virtio NICs only", i, p->nic);
    return -1;
  }
  if (sd) {
    p->scratch_bus = h2k_json_get_string (sd, "bus");
    p->scratch_mib = h2k_json_get_int (sd, "size_mib", 64);
    if (p->scratch_bus == NULL || (strcmp (p->scratch_bus, "virtio-blk") != 0 &&
                                   strcmp (p->scratch_bus, "virtio-scsi") != 0)) {
      h2k_error ("<stdin>: /windows_boot/phases/%zu/scratch_disk/bus: expected "
                 "virtio-blk or virtio-scsi", i);
      return -1;
    }
    if (p->scratch_mib < 1 || p->scratch_mib > 1024 * 1024) {
      h2k_error ("<stdin>: /windows_boot/phases/%zu/scratch_disk/size_mib: "
                 "%" PRId64 ": expected 1 to 1048576", i, p->scratch_mib);
      return -1;
    }
  }
  if (p->name == NULL)
    p->name = "final";
  if (p->nic == NULL)
    p->nic = "virtio";
  return 0;
}

int
win_plan_read (json_object *m, const char *bus, int bus_set, struct win_plan *p)
{
  json_object *wb = h2k_json_get (m, "windows_boot");
  json_object *phases;
  size_t n, want;

  memset (p, 0, sizeof *p);
  p->strategy = "single";
  p->n_phases = 1;
  p->phases[0] = (struct win_phase) { .number = 1, .name = "final", .bus = bus,
                                      .nic = "virtio" };
  if (wb == NULL)
    return 0;
  if (!json_object_is_type (wb, json_type_object)) {
    h2k_error ("<stdin>: /windows_boot: expected an object");
    return -1;
  }
  p->strategy = h2k_json_get_string (wb, "strategy");
  p->storage = h2k_json_get_string (wb, "storage");
  phases = h2k_json_get_array (wb, "phases");
  if (p->strategy == NULL || (strcmp (p->strategy, "single") != 0 &&
                              strcmp (p->strategy, "two-phase") != 0)) {
    h2k_error ("<stdin>: /windows_boot/strategy: expected \"single\" or \"two-phase\"");
    return -1;
  }
  want = strcmp (p->strategy, "two-phase") == 0 ? 2 : 1;
  n = phases ? json_object_array_length (phases) : 0;
  if (n != want) {
    h2k_error ("<stdin>: /windows_boot/phases: %zu phase%s, but strategy %s has %zu",
               n, n == 1 ? "" : "s", p->strategy, want);
    return -1;
  }
  for (size_t i = 0; i < n; ++i)
    if (read_phase (json_object_array_get_idx (phases, i), i, &p->phases[i]) == -1)
      return -1;
  p->n_phases = n;
  if (bus_set || p->phases[n - 1].bus == NULL)
    p->phases[n - 1].bus = bus;
  if (p->phases[0].bus == NULL)
    p->phases[0].bus = n == 2 ? "sata" : bus;
  return 0;
}

/* Before the boot ------------------------------------------------------------ */

int
windows_two_phase (const struct run *r)
{
  return r->win && r->win->n_phases == 2;
}

static struct win_state *
state (struct run *r)
{
  /* plan is the first member: r->win points at it. */
  return (struct win_state *) r->win;
}

int
windows_prepare (struct run *r)
{
  struct win_state *w;

  if (!windows_manifest (r->m))
    return 0;
  if (strcmp (r->o->signal, "login") == 0) {
    h2k_error ("<stdin>: /guest/type: \"windows\": --signal login cannot work: "
               "Windows prints no login prompt on the serial console (the beacon "
               "is the signal)");
    return -1;
  }
  if ((w = calloc (1, sizeof *w)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  r->win = &w->plan;
  return win_plan_read (r->m, r->o->bus, r->o->bus_set, &w->plan);
}

int
windows_configure (struct run *r)
{
  struct win_state *w = state (r);
  const struct win_phase *final;
  const char *drv;

  if (w == NULL)
    return 0;
  final = &w->plan.phases[w->plan.n_phases - 1];
  r->cfg.bus = final->bus;
  r->win_phase = 1;
  /* The first-boot runner may reboot the guest (a driver needs it). */
  r->cfg.allow_reboot = 1;
  if (r->o->timeout <= 0)
    r->timeout = strcmp (r->cfg.accel, "kvm") == 0
      ? VALIDATE_TIMEOUT_KVM_WINDOWS : VALIDATE_TIMEOUT_TCG_WINDOWS;
  drv = win_storage_driver (final->bus);
  if (w->plan.storage && drv && strcmp (w->plan.storage, drv) != 0 &&
      run_warn (r, "windows_boot.storage is %s, but the final phase boots on %s (%s)",
                w->plan.storage, final->bus, drv) == -1)
    return -1;
  if (windows_two_phase (r) && strcmp (w->plan.phases[0].bus, "sata") == 0 &&
      r->cfg.n_disks > 6) {
    h2k_error ("<stdin>: /disks: %zu disks, but phase 1 boots on sata (at most 6)",
               r->cfg.n_disks);
    return -1;
  }
  return 0;
}

/* Point R's QEMU configuration at phase 1 (ON) or back at the final one. */
static int
phase1_cfg (struct run *r, int on)
{
  struct win_state *w = state (r);
  const struct win_phase *p1 = &w->plan.phases[0];

  free (w->scratch);
  free (w->serial1);
  w->scratch = h2k_path_join (r->tmpdir, SCRATCH_NAME);
  w->serial1 = h2k_path_join (r->tmpdir, SERIAL_PHASE1);
  if (w->scratch == NULL || w->serial1 == NULL)
    return -1;
  r->cfg.bus = on ? p1->bus : w->plan.phases[w->plan.n_phases - 1].bus;
  r->cfg.scratch = on && p1->scratch_bus ? w->scratch : NULL;
  r->cfg.scratch_bus = on ? p1->scratch_bus : NULL;
  r->cfg.serial_log = on ? w->serial1 : r->serial_log;
  h2k_free_strv (r->argv);
  r->argv = qemu_build_argv (&r->cfg);
  return r->argv ? 0 : -1;
}

int
windows_dry_run (struct run *r)
{
  CLEANUP_FREE char *cmd = NULL;

  if (!windows_two_phase (r))
    return 0;
  if (phase1_cfg (r, 1) == -1)
    return -1;
  cmd = h2k_argv_to_string ((const char *const *) r->argv);
  h2k_info ("phase 1 (%s) would run: %s", r->win->phases[0].name, cmd ? cmd : "?");
  return phase1_cfg (r, 0);
}

/* Phase 1 --------------------------------------------------------------------- */

static int
make_scratch (struct run *r)
{
  struct win_state *w = state (r);
  char size[32];
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[] = {
    "qemu-img", "create", "-q", "-f", "qcow2", w->scratch, size, NULL
  };

  if (r->cfg.scratch == NULL)
    return 0;
  snprintf (size, sizeof size, "%" PRId64 "M", w->plan.phases[0].scratch_mib);
  return h2k_run_ok (argv, 0, &res);
}

/* Feed what the console printed since last time. */
static int
drain_serial (struct run *r)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (r->serial_fd, buf, sizeof buf)) > 0)
    if (console_feed (&r->con, buf, (size_t) n) == -1)
      return -1;
  return 0;
}

/* After the beacon: phase 1 powers off when its runner is done. */
static int
wait_poweroff (struct run *r)
{
  double end = h2k_monotonic () + WIN_POWEROFF_WAIT;
  int ws;

  h2k_info ("phase 1: beacon after %.0f s; waiting up to %d s for the poweroff",
            r->signal_seconds, WIN_POWEROFF_WAIT);
  while (!r->exited && h2k_monotonic () < end) {
    pid_t p = waitpid (r->pid, &ws, WNOHANG);

    if (p == r->pid) {
      r->exited = 1;
      r->exit_status = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws);
      break;
    }
    if (h2k_interrupted) {
      h2k_error ("interrupted");
      return -1;
    }
    if (drain_serial (r) == -1)
      return -1;
    poll (NULL, 0, 500);
  }
  return drain_serial (r);
}

static int
set_str (json_object *o, const char *key, const char *s)
{
  return s ? h2k_json_set_string (o, key, s) : 0;
}

/* The entry of validation.phases[] for phase P as far as it went. */
static json_object *
phase_json (struct run *r, const struct win_phase *p, const char *result,
            const char *reason)
{
  json_object *o = json_object_new_object ();
  json_object *sd;
  CLEANUP_FREE char *cmd = NULL;

  if (o == NULL)
    goto nomem;
  if (h2k_json_set_int (o, "phase", p->number) == -1 ||
      set_str (o, "name", p->name) == -1 ||
      set_str (o, "bus", p->bus) == -1 ||
      set_str (o, "nic", p->nic) == -1 ||
      set_str (o, "ends", p->ends) == -1 ||
      h2k_json_set_string (o, "result", result) == -1 ||
      set_str (o, "reason", reason) == -1)
    goto nomem;
  if (p->scratch_bus &&
      ((sd = h2k_json_ensure_object (o, "scratch_disk")) == NULL ||
       h2k_json_set_string (sd, "bus", p->scratch_bus) == -1 ||
       h2k_json_set_int (sd, "size_mib", p->scratch_mib) == -1))
    goto nomem;
  if (strcmp (result, "not-run") == 0)
    return o;
  cmd = r->argv ? h2k_argv_to_string ((const char *const *) r->argv) : NULL;
  if (h2k_json_set_string (o, "signal", r->signal) == -1 ||
      h2k_json_set_bool (o, "signaled", r->signaled) == -1 ||
      (r->signaled && h2k_json_set_double (o, "seconds",
                                           (double) (long) (r->signal_seconds * 10) / 10) == -1) ||
      set_str (o, "qemu", cmd) == -1)
    goto nomem;
  return o;
 nomem:
  json_object_put (o);
  h2k_error ("%m");
  return NULL;
}

/* Phase 1's evidence: what the final phase's record does not hold. */
static int
phase1_evidence (struct run *r, json_object *o)
{
  struct win_state *w = state (r);

  if (h2k_json_set_bool (o, "powered_off", r->exited) == -1 ||
      (r->exited && h2k_json_set_int (o, "exit_status", r->exit_status) == -1) ||
      (r->offline && h2k_json_set (o, "offline", json_object_get (r->offline)) == -1) ||
      (r->beacon_json &&
       (h2k_json_set_string (r->beacon_json, "token", r->token) == -1 ||
        h2k_json_set (o, "beacon", json_object_get (r->beacon_json)) == -1)) ||
      (r->beacon.state == BEACON_ENDED &&
       h2k_json_set (o, "reported", beacon_reported (&r->beacon)) == -1) ||
      h2k_json_set (o, "console_tail", console_tail_json (&r->con)) == -1 ||
      set_str (o, "serial_log", w->kept1) == -1)
    return -1;
  return 0;
}

static int
add_phase (struct run *r, json_object *o)
{
  if (r->phases == NULL && (r->phases = json_object_new_array ()) == NULL) {
    json_object_put (o);
    h2k_error ("%m");
    return -1;
  }
  return h2k_json_array_add (r->phases, o);
}

/* Phase 1 failed: the validation records it, phase 2 not run. */
static int
phase1_failed (struct run *r, const char *why)
{
  const struct win_phase *p1 = &r->win->phases[0];
  CLEANUP_FREE char *reason = NULL;
  json_object *o;

  if (asprintf (&reason, "phase 1 (%s): %s", p1->name, why) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if ((o = phase_json (r, p1, "failed", why)) == NULL || phase1_evidence (r, o) == -1 ||
      add_phase (r, o) == -1)
    return -1;
  return run_fail_unchecked (r, reason);
}

/* Reset R for the final phase: its overlays backed by phase 1's. */
static int
to_final (struct run *r)
{
  for (size_t i = 0; i < r->cfg.n_disks; ++i) {
    struct qemu_disk *d = &r->disks[i];
    char name[64];

    snprintf (name, sizeof name, "disk%zu-phase1.qcow2", i);
    if ((d->base = h2k_path_join (r->tmpdir, name)) == NULL)
      return -1;
    if (rename (d->overlay, d->base) == -1) {
      h2k_error ("%s: %m", d->overlay);
      return -1;
    }
  }
  if (r->serial_fd >= 0)
    close (r->serial_fd);
  r->serial_fd = -1;
  r->pid = 0;
  r->exited = r->exit_status = r->timed_out = r->signaled = 0;
  r->started = r->signal_seconds = r->boot_seconds = r->login_seconds = 0;
  console_free (&r->con);
  if (console_init (&r->con, r->o->expect) == -1)
    return -1;
  if (h2k_verbose)
    r->con.echo = run_echo_line;
  beacon_free (&r->beacon);
  memset (&r->beacon, 0, sizeof r->beacon);
  json_object_put (r->offline);
  json_object_put (r->beacon_json);
  r->offline = r->beacon_json = NULL;
  for (size_t i = 0; i < r->net.n_nics; ++i) {
    struct net_nic *nic = &r->net.nics[i];
    nic->frames = nic->frames_from_mac = 0;
    nic->dhcp_discover = nic->dhcp_request = 0;
    for (size_t j = 0; j < nic->n_addrs; ++j)
      nic->addrs[j].answered = nic->addrs[j].pinged = 0, nic->addrs[j].echo_tries = 0;
  }
  r->win_phase = 2;
  return phase1_cfg (r, 0);
}

static int
boot_phase1 (struct run *r)
{
  const struct win_phase *p1 = &r->win->phases[0];
  int ret;

  beacon_init (&r->beacon, r->token);
  r->con.on_line = run_beacon_line;
  r->con.opaque = r;
  h2k_info ("phase 1 (%s): booting on %s%s%s; waiting up to %.0f s for the beacon",
            p1->name, p1->bus, r->cfg.scratch ? ", scratch disk on " : "",
            r->cfg.scratch ? p1->scratch_bus : "", r->timeout);
  if (h2k_verbose) {
    CLEANUP_FREE char *cmd = h2k_argv_to_string ((const char *const *) r->argv);
    h2k_info ("phase 1: %s", cmd ? cmd : "?");
  }
  if (run_start_qemu (r) == -1)
    return -1;
  ret = run_watch (r);
  if (ret == 0 && r->signaled && !r->exited)
    ret = wait_poweroff (r);
  run_stop_qemu (r);
  if (ret == -1 || console_flush (&r->con) == -1)
    return -1;
  return run_keep_log_as (r, state (r)->serial1, KEPT_PHASE1, &state (r)->kept1);
}

int
windows_first_phase (struct run *r)
{
  CLEANUP_FREE char *buf = NULL, *why = NULL;
  const char *reason, *net_status;
  json_object *o;

  if (!windows_two_phase (r))
    return 0;
  if (phase1_cfg (r, 1) == -1 || make_scratch (r) == -1 ||
      run_make_overlays (r) == -1 || run_offline (r) == -1)
    return -1;
  if (r->offline_failure) {
    if (asprintf (&why, "offline check: %s", r->offline_failure) == -1) {
      h2k_error ("%m");
      return -1;
    }
    return phase1_failed (r, why);
  }
  if (boot_phase1 (r) == -1)
    return -1;
  if (!r->signaled) {
    reason = run_judge (r, &buf, &net_status);
    return phase1_failed (r, reason ? reason : "no beacon");
  }
  if (!r->exited &&
      run_warn (r, "phase 1 did not power off within %d s of its beacon: stopped; "
                "its disk may not be clean for phase 2", WIN_POWEROFF_WAIT) == -1)
    return -1;
  if ((o = phase_json (r, &r->win->phases[0], "passed", NULL)) == NULL ||
      phase1_evidence (r, o) == -1 || add_phase (r, o) == -1)
    return -1;
  h2k_info ("phase 1 (%s) passed: beacon after %.0f s%s; booting the final phase",
            r->win->phases[0].name, r->signal_seconds,
            r->exited ? ", powered off" : "");
  return to_final (r);
}

/* The record ---------------------------------------------------------------------- */

int
windows_record (struct run *r, json_object *v, const char *reason)
{
  json_object *wb;

  if (r->win == NULL)
    return 0;
  for (size_t i = (size_t) r->win_phase - 1; i < r->win->n_phases; ++i) {
    const struct win_phase *p = &r->win->phases[i];
    int current = (int) i + 1 == r->win_phase;
    json_object *o = phase_json (r, p, !current ? "not-run" : reason ? "failed"
                                 : "passed", current ? reason : NULL);

    /* Phase 1 failing records itself first. */
    if (current && r->phases &&
        json_object_array_length (r->phases) >= (size_t) r->win_phase) {
      json_object_put (o);
      continue;
    }
    if (o == NULL || add_phase (r, o) == -1)
      return -1;
  }
  if ((wb = h2k_json_ensure_object (v, "windows_boot")) == NULL ||
      h2k_json_set_string (wb, "strategy", r->win->strategy) == -1 ||
      set_str (wb, "storage", r->win->storage) == -1 ||
      h2k_json_set (v, "phases", json_object_get (r->phases)) == -1)
    return -1;
  return 0;
}

void
windows_free (struct run *r)
{
  struct win_state *w = state (r);

  if (w == NULL)
    return;
  for (size_t i = 0; r->disks && i < r->cfg.n_disks; ++i)
    if (r->disks[i].base) {
      if (!r->o->keep_tmpdir)
        unlink (r->disks[i].base);
      free (r->disks[i].base);
      r->disks[i].base = NULL;
    }
  if (w->scratch && !r->o->keep_tmpdir)
    unlink (w->scratch);
  if (w->serial1 && !r->o->keep_tmpdir)
    unlink (w->serial1);
  free (w->scratch);
  free (w->serial1);
  free (w->kept1);
  free (w);
  r->win = NULL;
  json_object_put (r->phases);
  r->phases = NULL;
}
