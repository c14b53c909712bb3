/* h2k-validate: inject the beacon into the guest, mounted read-write on
 * the throwaway overlays (never the images we boot).
 *
 *   systemd:  /etc/systemd/system/h2k-validate-beacon.service, enabled by
 *             a symlink in multi-user.target.wants
 *   OpenRC:   /etc/local.d/h2k-validate-beacon.start
 *   SysV:     /etc/init.d/h2k-validate-beacon, S99 links in rc2/3/5.d
 * each running /etc/h2k-validate/beacon.sh (beacon.c) in the background.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"

#define BEACON_DIR "/etc/h2k-validate"
#define BEACON_SCRIPT BEACON_DIR "/beacon.sh"
#define UNIT_NAME "h2k-validate-beacon.service"
#define UNIT_PATH "/etc/systemd/system/" UNIT_NAME
#define WANTS_DIR "/etc/systemd/system/multi-user.target.wants"

static const char unit_text[] =
  "[Unit]\n"
  "Description=h2k-validate boot beacon (validation boot only)\n"
  "Wants=network-online.target\n"
  "After=network-online.target\n"
  "\n"
  "[Service]\n"
  "Type=simple\n"
  "ExecStart=/bin/sh " BEACON_SCRIPT "\n"
  "StandardOutput=null\n"
  "StandardError=null\n"
  "\n"
  "[Install]\n"
  "WantedBy=multi-user.target\n";

static const char sysv_text[] =
  "#!/bin/sh\n"
  "### BEGIN INIT INFO\n"
  "# Provides:          h2k-validate-beacon\n"
  "# Required-Start:    $all\n"
  "# Required-Stop:\n"
  "# Default-Start:     2 3 5\n"
  "# Default-Stop:\n"
  "# Short-Description: h2k-validate boot beacon (validation boot only)\n"
  "### END INIT INFO\n"
  "[ \"$1\" = start ] || exit 0\n"
  "/bin/sh " BEACON_SCRIPT " </dev/null >/dev/null 2>&1 &\n"
  "exit 0\n";

static const char openrc_text[] =
  "#!/bin/sh\n"
  "/bin/sh " BEACON_SCRIPT " </dev/null >/dev/null 2>&1 &\n";

static int
put_file (guestfs_h *g, json_object *files, const char *path,
          const char *text, int mode)
{
  if (guestfs_write (g, path, text, strlen (text)) == -1 ||
      guestfs_chmod (g, mode, path) == -1)
    return -1;
  return h2k_json_array_add_string (files, path);
}

static int
put_link (guestfs_h *g, json_object *files, const char *target, const char *link)
{
  if (guestfs_ln_sf (g, target, link) == -1)
    return -1;
  return h2k_json_array_add_string (files, link);
}

/* How to start the beacon: by the init system (guest.h), if the guest
 * has what that way needs (OpenRC's local.d; SysV rc directories, which
 * upstart and unknown inits may run too), else NULL.
 */
static const char *
beacon_start_kind (guestfs_h *g)
{
  const char *init = h2k_guest_init_system (g);

  if (strcmp (init, "systemd") == 0)
    return "systemd";
  if (strcmp (init, "openrc") == 0 && h2k_guest_is_dir (g, "/etc/local.d"))
    return "openrc";
  if (h2k_guest_is_dir (g, "/etc/init.d") &&
      (h2k_guest_is_dir (g, "/etc/rc3.d") || h2k_guest_is_dir (g, "/etc/rc.d/rc3.d")))
    return "sysvinit";
  return NULL;
}

/* SELinux guests: label what we wrote, or the policy keeps it from
 * running.  Best effort: a guest without the xattr support just goes on.
 */
static void
selinux_label (guestfs_h *g, const char *path, const char *context)
{
  if (!h2k_guest_is_file (g, "/etc/selinux/config"))
    return;
  guestfs_push_error_handler (g, NULL, NULL);
  if (guestfs_setxattr (g, "security.selinux", context,
                        (int) strlen (context) + 1, path) == -1)
    h2k_debug ("%s: could not set its SELinux label", path);
  guestfs_pop_error_handler (g);
}

static int
install_sysv (guestfs_h *g, json_object *files)
{
  static const char *const rcdirs[] = {
    "/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d",
    "/etc/rc.d/rc2.d", "/etc/rc.d/rc3.d", "/etc/rc.d/rc5.d", NULL
  };
  const char *initd = h2k_guest_is_dir (g, "/etc/init.d") ? "/etc/init.d"
    : "/etc/rc.d/init.d";
  CLEANUP_FREE char *script = NULL;

  if (asprintf (&script, "%s/h2k-validate-beacon", initd) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (put_file (g, files, script, sysv_text, 0755) == -1)
    return -1;
  for (size_t i = 0; rcdirs[i]; ++i) {
    CLEANUP_FREE char *link = NULL;
    if (!h2k_guest_is_dir (g, rcdirs[i]))
      continue;
    if (asprintf (&link, "%s/S99h2k-validate-beacon", rcdirs[i]) == -1) {
      h2k_error ("%m");
      return -1;
    }
    if (put_link (g, files, script, link) == -1)
      return -1;
  }
  return 0;
}

int
inject_beacon (struct run *r, guestfs_h *g, const char **why)
{
  int wait_s = (int) r->o->net_timeout;
  int hold_s = (int) r->o->net_timeout + BEACON_HOLD_EXTRA;
  CLEANUP_FREE char *script = NULL;
  const char *kind = beacon_start_kind (g);
  json_object *b, *files;

  if (kind == NULL) {
    *why = "no systemd, OpenRC or SysV init found in the guest";
    return 0;
  }
  if (wait_s > BEACON_WAIT_MAX)
    wait_s = BEACON_WAIT_MAX;
  if (beacon_token (r->token) == -1 ||
      (script = beacon_script (r->token, wait_s, hold_s)) == NULL)
    return -1;
  if ((b = r->beacon_json = json_object_new_object ()) == NULL ||
      (files = h2k_json_ensure_array (b, "files")) == NULL ||
      h2k_json_set_string (b, "init", kind) == -1 ||
      h2k_json_set_int (b, "wait_s", wait_s) == -1 ||
      h2k_json_set_int (b, "hold_s", hold_s) == -1)
    return -1;
  if (guestfs_mkdir_p (g, BEACON_DIR) == -1 ||
      put_file (g, files, BEACON_SCRIPT, script, 0755) == -1)
    return -1;
  selinux_label (g, BEACON_SCRIPT, "system_u:object_r:bin_t:s0");
  if (strcmp (kind, "systemd") == 0) {
    if (put_file (g, files, UNIT_PATH, unit_text, 0644) == -1 ||
        guestfs_mkdir_p (g, WANTS_DIR) == -1 ||
        put_link (g, files, UNIT_PATH, WANTS_DIR "/" UNIT_NAME) == -1)
      return -1;
    selinux_label (g, UNIT_PATH, "system_u:object_r:systemd_unit_file_t:s0");
  }
  else if (strcmp (kind, "openrc") == 0) {
    if (put_file (g, files, "/etc/local.d/h2k-validate-beacon.start",
                  openrc_text, 0755) == -1)
      return -1;
  }
  else if (install_sysv (g, files) == -1)
    return -1;
  h2k_info ("beacon injected (%s) into the throwaway overlay", kind);
  return 0;
}
