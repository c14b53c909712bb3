/* h2k-fix-windows: planning the first boot for this guest: the runner
 * and its steps (their text from firstboot.c): install the staged
 * drivers, drop the temporary boot binding, uninstall the hypervisor
 * tools, re-apply static addresses by MAC, install the guest agent.  The
 * files are generated into f->fb and planned as one write-firstboot
 * item.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"

char *
fb_cmdline (struct fw *f)
{
  const char *root = h2k_json_get_string (f->win, "system_root");
  char *s;

  if (asprintf (&s, "%s\\System32\\cmd.exe /c %s\\h2k\\firstboot\\firstboot.cmd",
                root ? root : "C:\\Windows", f->drive) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  return s;
}

static int
fb_add (struct fw *f, const char *path, char *text)
{
  json_object *o = text ? json_object_new_object () : NULL;

  if (h2k_json_array_add (f->fb, o) == -1 ||
      h2k_json_set_string (o, "path", path) == -1 ||
      h2k_json_set_string (o, "text", text) == -1) {
    free (text);
    return -1;
  }
  free (text);
  return 0;
}

/* The Windows paths of the staged INFs, storage first. */
static char **
staged_infs (struct fw *f)
{
  char **v = calloc (f->n_pkgs + 1, sizeof *v);
  size_t n = 0;

  for (size_t i = 0; v && i < f->n_pkgs; ++i) {
    CLEANUP_FREE char *p = NULL;
    if (f->pkgs[i].inf == NULL)
      continue;
    if (asprintf (&p, DRIVERS_DIR "/%s/%s", f->pkgs[i].driver, f->pkgs[i].inf) == -1 ||
        (v[n++] = win_path (f, p)) == NULL) {
      h2k_free_strv (v);
      return NULL;
    }
  }
  return v;
}

/* TO[KEY] = a reference to FROM[KEY], or [] when FROM has none. */
static int
copy_list (json_object *to, json_object *from, const char *key)
{
  json_object *a = h2k_json_get_array (from, key);

  return h2k_json_set (to, key, a ? json_object_get (a) : json_object_new_array ());
}

/* The static interfaces with the MAC of their adapter; the ones whose MAC
 * is unknown go to SKIPPED with the reason.
 */
static int
network_ifaces (struct fw *f, json_object *out, json_object *skipped)
{
  json_object *ifs = h2k_json_get_array (h2k_json_get_object (f->win, "network"), "interfaces");
  json_object *nics = h2k_json_get_array (h2k_json_get_object (f->m, "vm"), "nics");
  size_t n_static = 0;

  for (size_t i = 0; ifs && i < json_object_array_length (ifs); ++i)
    n_static += h2k_json_get_bool (json_object_array_get_idx (ifs, i), "static", 0);
  for (size_t i = 0; ifs && i < json_object_array_length (ifs); ++i) {
    json_object *it = json_object_array_get_idx (ifs, i);
    json_object *ip4 = h2k_json_get_object (it, "ipv4");
    const char *mac = h2k_json_get_string (it, "mac");
    const char *from = "registry";
    json_object *o;

    if (!h2k_json_get_bool (it, "static", 0))
      continue;
    if (mac == NULL && n_static == 1 && nics && json_object_array_length (nics) == 1) {
      mac = h2k_json_get_string (json_object_array_get_idx (nics, 0), "mac");
      from = "vm.nics (the only NIC)";
    }
    if (mac == NULL) {
      if (h2k_json_array_add (skipped, json_object_get (it)) == -1)
        return -1;
      h2k_warning ("%s: static address %s not carried over: the adapter's MAC is "
                   "unknown (not in the registry, and the VM has not exactly one NIC)",
                   h2k_json_get_string (it, "guid"),
                   json_object_get_string (json_object_array_get_idx (
                     h2k_json_get_array (ip4, "addresses"), 0)));
      continue;
    }
    o = string_details ("mac", mac, "mac_from", from);
    if (h2k_json_array_add (out, o) == -1 ||
        h2k_json_set_string (o, "old_guid", h2k_json_get_string (it, "guid")) == -1)
      return -1;
    if (copy_list (o, ip4, "addresses") == -1 || copy_list (o, ip4, "netmasks") == -1 ||
        copy_list (o, ip4, "gateways") == -1 || copy_list (o, it, "dns") == -1)
      return -1;
  }
  return 0;
}

static char *
step_path (const char *name)
{
  char *s;

  return asprintf (&s, FB_STEPS "/%s", name) == -1 ? NULL : s;
}

/* Generate every first-boot file into f->fb; DETAILS gets what they do. */
static int
make_firstboot (struct fw *f, json_object *d)
{
  CLEANUP_FREE_STRV char **infs = staged_infs (f);
  CLEANUP_FREE char *fbdir = win_path (f, FB_DIR);
  CLEANUP_FREE char *p1 = step_path ("10-drivers.cmd"), *p2 = step_path ("20-boot-binding.cmd");
  CLEANUP_FREE char *p3 = step_path ("30-uninstall-tools.cmd");
  CLEANUP_FREE char *p4 = step_path ("40-network.cmd"), *p5 = step_path ("50-qemu-ga.cmd");
  json_object *net = json_object_new_array (), *skipped = json_object_new_array ();
  json_object *tools = h2k_json_get_array (f->win, "tools_uninstall");

  if (h2k_json_set (d, "network", net) == -1 ||
      h2k_json_set (d, "network_skipped", skipped) == -1 ||
      infs == NULL || fbdir == NULL || !p1 || !p2 || !p3 || !p4 || !p5 ||
      fb_add (f, FB_DIR "/firstboot.cmd", fb_runner (fbdir, f->two_phase)) == -1 ||
      fb_add (f, p1, fb_step_pnputil (f->w.build, infs)) == -1)
    return -1;
  if (f->win8 && !f->two_phase) {
    CLEANUP_JSON json_object *keys = reg_driverdb_cleanup (f->o->storage, f->arch, &f->inf);
    if (keys == NULL || fb_add (f, p2, fb_step_reg_delete (keys, "10-drivers.cmd")) == -1)
      return -1;
  }
  for (size_t i = 0; !f->o->keep_tools && tools && i < json_object_array_length (tools); ++i) {
    json_object *t = json_object_array_get_idx (tools, i);
    CLEANUP_FREE char *log = win_path (f, FB_DIR "/uninstall-tools.log");
    const char *key = h2k_json_get_string (t, "key");
    if (key == NULL || *key != '{')
      continue;                 /* not an MSI product: nothing we can run quietly */
    /* One step: the first MSI product (h2k-inspect lists VMware Tools). */
    if (log == NULL ||
        fb_add (f, p3, fb_step_msi_uninstall (key, h2k_json_get_string (t, "name"), log)) == -1)
      return -1;
    break;
  }
  if (network_ifaces (f, net, skipped) == -1 ||
      (json_object_array_length (net) &&
       fb_add (f, p4, fb_step_network (net)) == -1))
    return -1;
  if (f->qemu_ga) {
    CLEANUP_FREE char *msi = NULL, *wmsi = NULL, *log = win_path (f, FB_DIR "/qemu-ga.log");
    if (asprintf (&msi, DRIVERS_DIR "/qemu-ga/%s", strrchr (f->qemu_ga, '/') + 1) == -1 ||
        (wmsi = win_path (f, msi)) == NULL || log == NULL ||
        fb_add (f, p5, fb_step_msi_install (wmsi, log)) == -1)
      return -1;
  }
  return 0;
}

int
plan_firstboot (struct fw *f)
{
  json_object *d = json_object_new_object ();
  json_object *files = json_object_new_array ();
  CLEANUP_FREE char *cmd = fb_cmdline (f);

  f->fb = json_object_new_array ();
  if (d == NULL || files == NULL || f->fb == NULL || cmd == NULL ||
      h2k_json_set (d, "files", files) == -1 ||
      h2k_json_set_string (d, "cmdline", cmd) == -1 ||
      make_firstboot (f, d) == -1) {
    json_object_put (d);
    if (d == NULL)
      json_object_put (files);
    return -1;
  }
  for (size_t i = 0; i < json_object_array_length (f->fb); ++i) {
    json_object *fb = json_object_array_get_idx (f->fb, i);
    const char *text = h2k_json_get_string (fb, "text");
    char sha[65];
    CLEANUP_FREE char *dir = h2k_dirname (h2k_json_get_string (fb, "path"));
    const char *name = strrchr (h2k_json_get_string (fb, "path"), '/') + 1;

    if (dir == NULL || h2k_digest_buffer (text, strlen (text), "sha256", sha) == -1 ||
        want_file (f, files, dir, name, NULL, sha) == -1) {
      json_object_put (d);
      return -1;
    }
  }
  if (json_object_array_length (files) == 0) {
    json_object_put (d);
    return 0;
  }
  return h2k_fixer_plan (&f->fx, "write-firstboot", FB_DIR, d,
                         "first boot: install the staged drivers with pnputil%s%s%s, then "
                         "remove itself%s", f->win8 && !f->two_phase
                         ? ", drop the temporary boot binding" : "",
                         f->o->keep_tools ? "" : ", uninstall the hypervisor tools",
                         ", re-apply static addresses to the virtio NICs by MAC",
                         f->two_phase ? " and power off (end of phase 1)" : "") ? 0 : -1;
}

const char *
fb_text (struct fw *f, const char *path)
{
  for (size_t i = 0; i < json_object_array_length (f->fb); ++i) {
    json_object *o = json_object_array_get_idx (f->fb, i);
    if (strcmp (h2k_json_get_string (o, "path"), path) == 0)
      return h2k_json_get_string (o, "text");
  }
  return NULL;
}
