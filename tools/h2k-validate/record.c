/* h2k-validate: the verdict, and the evidence in M.validation. */

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

static char *
qemu_last_line (struct run *r)
{
  size_t len;
  CLEANUP_FREE char *text = h2k_read_file (r->qemu_out, 1 << 20, &len);
  char *line, *save = NULL, *last = NULL;

  if (text == NULL)
    return NULL;
  for (line = strtok_r (text, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    if (*h2k_trim (line))
      last = line;
  return last ? strdup (h2k_trim (last)) : NULL;
}

static json_object *
disks_json (struct run *r)
{
  json_object *a = json_object_new_array ();

  for (size_t i = 0; a && i < r->cfg.n_disks; ++i) {
    json_object *d = json_object_new_object ();
    if (h2k_json_array_add (a, d) == -1 ||
        h2k_json_set_string (d, "id", r->disks[i].id) == -1 ||
        h2k_json_set_string (d, "path", r->disks[i].path) == -1 ||
        h2k_json_set_string (d, "format", r->disks[i].format) == -1) {
      json_object_put (a);
      return NULL;
    }
  }
  return a;
}

/* The signal: which, why login, when; what the beacon reported. */
static int
record_signal (struct run *r, json_object *v)
{
  int beacon = strcmp (r->signal, "beacon") == 0;

  if (h2k_json_set_string (v, "signal", r->signal) == -1 ||
      (r->signal_reason &&
       h2k_json_set_string (v, "signal_reason", r->signal_reason) == -1) ||
      (r->signaled && h2k_json_set_double (v, "signal_seconds",
                                           (double) (long) (r->signal_seconds * 10) / 10) == -1))
    return -1;
  if (r->beacon_json) {
    if (h2k_json_set (v, "beacon", json_object_get (r->beacon_json)) == -1 ||
        h2k_json_set_string (r->beacon_json, "token", r->token) == -1)
      return -1;
    if (beacon && r->beacon.state == BEACON_ENDED &&
        (h2k_json_set_int (r->beacon_json, "waited_s", r->beacon.waited) == -1 ||
         h2k_json_set_string (r->beacon_json, "format", r->beacon.format) == -1))
      return -1;
  }
  if (beacon && r->beacon.state == BEACON_ENDED &&
      h2k_json_set (v, "reported", beacon_reported (&r->beacon)) == -1)
    return -1;
  return 0;
}

/* Record the evidence as M.validation.  REASON (the failure) or NULL. */
int
run_record (struct run *r, const char *reason, const char *net_status)
{
  json_object *v = json_object_new_object ();
  int booted = r->signaled;

  if (v == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_json_set (r->m, "validation", v) == -1)
    return -1;
  for (size_t i = 0; r->con.failed_units && r->con.failed_units[i]; ++i)
    if (run_warn (r, "console: %s", r->con.failed_units[i]) == -1)
      return -1;
  if (h2k_json_set_string (v, "status", reason ? "failed" : "passed") == -1 ||
      h2k_json_set_bool (v, "booted", booted) == -1 ||
      (booted && h2k_json_set_double (v, "boot_seconds",
                                      (double) (long) (r->boot_seconds * 10) / 10) == -1) ||
      h2k_json_set_string (v, "accel", r->cfg.accel) == -1 ||
      h2k_json_set_string (v, "firmware", r->cfg.firmware) == -1 ||
      h2k_json_set_string (v, "machine", r->cfg.machine) == -1 ||
      h2k_json_set_string (v, "bus", r->cfg.bus) == -1 ||
      h2k_json_set_int (v, "memory_mb", r->cfg.memory_mb) == -1 ||
      h2k_json_set_int (v, "cpus", r->cfg.cpus) == -1 ||
      h2k_json_set_double (v, "timeout_s", r->timeout) == -1 ||
      (r->cfg.kernel && h2k_json_set_string (v, "kernel", r->cfg.kernel) == -1) ||
      (r->cfg.initrd && h2k_json_set_string (v, "initrd", r->cfg.initrd) == -1) ||
      (r->cfg.append && h2k_json_set_string (v, "append", r->cfg.append) == -1) ||
      h2k_json_set (v, "disks", disks_json (r)) == -1 ||
      record_signal (r, v) == -1 ||
      (r->offline && h2k_json_set (v, "offline", json_object_get (r->offline)) == -1) ||
      h2k_json_set_string (v, "login_regex", r->o->expect) == -1 ||
      (r->con.login_line &&
       h2k_json_set_string (v, "login_line", r->con.login_line) == -1) ||
      (r->con.failure && h2k_json_set_string (v, "failure", r->con.failure) == -1) ||
      (reason && h2k_json_set_string (v, "reason", reason) == -1) ||
      h2k_json_set_string (v, "network_status", net_status) == -1 ||
      h2k_json_set (v, "nics", net_evidence (&r->net)) == -1 ||
      h2k_json_set (v, "unpinned", json_object_get (r->net.unpinned)) == -1 ||
      h2k_json_set (v, "not_checked", json_object_get (r->net.not_checked)) == -1 ||
      h2k_json_set (v, "console_tail", console_tail_json (&r->con)) == -1 ||
      h2k_json_set (v, "warnings", json_object_get (r->warnings)) == -1 ||
      (r->kept_log && h2k_json_set_string (v, "serial_log", r->kept_log) == -1) ||
      (r->o->keep_tmpdir && h2k_json_set_string (v, "tmpdir", r->tmpdir) == -1) ||
      windows_record (r, v, reason) == -1)
    return -1;
  return 0;
}

/* Judge what we saw.  Returns the reason for failure (static or in
 * *BUF, which the caller frees), or NULL for success; *NET_STATUS says
 * how the network proof went.
 */
const char *
run_judge (struct run *r, char **buf, const char **net_status)
{
  const char *why;
  int beacon = strcmp (r->signal, "beacon") == 0;

  *net_status = "not-checked";
  if (!r->signaled) {
    if (r->con.event == CONSOLE_FAILURE)
      return "the console showed a boot failure";
    if (r->exited) {
      CLEANUP_FREE char *last = qemu_last_line (r);
      if (asprintf (buf, "qemu exited with status %d before the %s%s%s",
                    r->exit_status, beacon ? "beacon" : "login prompt",
                    last ? ": " : "", last ? last : "") == -1)
        *buf = NULL;
      return *buf ? *buf : "qemu exited before the signal";
    }
    if (beacon && r->login_seconds > 0) {
      if (asprintf (buf, "no beacon: a login prompt appeared after %.0f s, "
                    "but the beacon did not report within %.0f s of it",
                    r->login_seconds, r->o->net_timeout + BEACON_LOGIN_GRACE) == -1)
        *buf = NULL;
      return *buf ? *buf : "no beacon after the login prompt";
    }
    if (beacon) {
      if (asprintf (buf, "no beacon within %.0f s", r->timeout) == -1)
        *buf = NULL;
      return *buf ? *buf : "no beacon before the timeout";
    }
    if (asprintf (buf, "no login prompt (/%s/) within %.0f s",
                  r->o->expect, r->timeout) == -1)
      *buf = NULL;
    return *buf ? *buf : "no login prompt before the timeout";
  }
  if (!net_passed (&r->net, &why)) {
    *net_status = "failed";
    if (asprintf (buf, "network: %s", why) == -1)
      *buf = NULL;
    return *buf ? *buf : why;
  }
  *net_status = "passed";
  for (size_t i = 0; i < r->net.n_nics; ++i)
    if (r->net.nics[i].n_addrs == 0 && !r->net.nics[i].dhcp_expected &&
        !r->net.dhcp_any) {
      *net_status = "unproven";
      if (run_warn (r, "%s (%s): no static address or DHCP configuration is "
                "known for this NIC: its network is not proven",
                r->net.nics[i].id, r->net.nics[i].mac_text) == -1)
        return "out of memory";
    }
  return NULL;
}
