/* h2k-fix-linux: the boot loader finds the root filesystem by UUID.
 *
 * root= and resume= given as device names are rewritten to UUID= in
 * /etc/default/grub, BLS entries and initramfs-tools' resume file;
 * GRUB_DISABLE_LINUX_UUID=true (which makes grub-mkconfig write device
 * names, and the appliance's device names at that) is turned off; RHEL
 * 8's grubenv kernelopts is set with grub2-editenv; a stale
 * device.map is removed; and grub.cfg is regenerated with the guest's own
 * grub-mkconfig.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

#define MAX_CFG (4 << 20)

static int
is_device_name (const char *v)
{
  const char *type = NULL;
  CLEANUP_FREE char *value = NULL;

  if (h2k_linuxcfg_classify_spec (v, &value, &type) == NULL || type == NULL)
    return 0;
  return strcmp (type, "sd") == 0 || strcmp (type, "hd") == 0 ||
         strcmp (type, "xvd") == 0 || strcmp (type, "nvme") == 0 ||
         strcmp (type, "vd") == 0;
}

/* CMDLINE with root=/resume= device names replaced by UUID=; NULL when
 * nothing changes (or on error, reported).  *ERR is set on error.
 */
static char *
fix_cmdline (struct fix *f, const char *cmdline, int *err)
{
  CLEANUP_FREE char *copy = strdup (cmdline);
  char *out = NULL, *save = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&out, &len);
  int changed = 0, first = 1;

  *err = 0;
  if (copy == NULL || fp == NULL) {
    if (fp)
      fclose (fp);
    free (out);
    *err = 1;
    h2k_error ("out of memory");
    return NULL;
  }
  for (char *tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save)) {
    const char *eq = strchr (tok, '=');
    CLEANUP_FREE char *stable = NULL;

    if (eq && (strncmp (tok, "root=", 5) == 0 || strncmp (tok, "resume=", 7) == 0) &&
        is_device_name (eq + 1)) {
      json_object *fs = filesystem_for_device (f, eq + 1);
      stable = fs ? stable_spec (fs) : NULL;
    }
    if (stable) {
      fprintf (fp, "%s%.*s=%s", first ? "" : " ", (int) (eq - tok), tok, stable);
      changed = 1;
    }
    else
      fprintf (fp, "%s%s", first ? "" : " ", tok);
    first = 0;
  }
  fclose (fp);
  if (!changed) {
    free (out);
    return NULL;
  }
  return out;
}

/* /etc/default/grub: the command-line variables and the UUID switch. */
static int
plan_default_grub (struct fix *f, int *planned)
{
  static const char *const path = "/etc/default/grub";
  static const char *const keys[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", NULL };
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, MAX_CFG);
  CLEANUP_JSON json_object *doc = NULL;
  json_object *vars, *lines, *d;
  const char *v;
  int n = 0, err;

  if (text == NULL)
    return 0;
  doc = h2k_linuxcfg_shellvars (text, strlen (text), path);
  d = edit_details (path);
  if (doc == NULL || d == NULL)
    goto fail;
  vars = h2k_json_get_object (doc, "vars");
  lines = h2k_json_get_object (doc, "lines");
  for (size_t i = 0; keys[i]; ++i) {
    CLEANUP_FREE char *fixed = NULL, *old = NULL, *new_line = NULL;
    int line = (int) h2k_json_get_int (lines, keys[i], 0);

    v = h2k_json_get_string (vars, keys[i]);
    if (v == NULL || (fixed = fix_cmdline (f, v, &err)) == NULL) {
      if (v && err)
        goto fail;
      continue;
    }
    old = text_line (text, line);
    if (old == NULL || asprintf (&new_line, "%s=\"%s\"", keys[i], fixed) == -1 ||
        edit_add (d, line, old, new_line) == -1)
      goto fail;
    n++;
  }
  v = h2k_json_get_string (vars, "GRUB_DISABLE_LINUX_UUID");
  if (v && strcmp (v, "true") == 0) {
    int line = (int) h2k_json_get_int (lines, "GRUB_DISABLE_LINUX_UUID", 0);
    CLEANUP_FREE char *old = text_line (text, line);
    if (old == NULL || edit_add (d, line, old, "GRUB_DISABLE_LINUX_UUID=false") == -1)
      goto fail;
    n++;
  }
  if (n == 0) {
    json_object_put (d);
    return 0;
  }
  *planned = 1;
  return h2k_fixer_plan (&f->fx, "edit-lines", path, d,
                         "root=/resume= by UUID, and GRUB_DISABLE_LINUX_UUID off: "
                         "grub-mkconfig must not write device names") ? 0 : -1;
 fail:
  json_object_put (d);
  return -1;
}

/* initramfs-tools' RESUME=, and BLS entries' options lines. */
static int
plan_line_files (struct fix *f)
{
  CLEANUP_FREE_STRV char **bls = h2k_guest_glob (f->fx.g, "/boot/loader/entries/*.conf");
  const char *resume = "/etc/initramfs-tools/conf.d/resume";

  if (bls == NULL)
    return -1;
  if (h2k_guest_is_file (f->fx.g, resume)) {
    CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, resume, MAX_CFG);
    CLEANUP_JSON json_object *doc = text ? h2k_linuxcfg_shellvars (text, strlen (text), resume) : NULL;
    const char *v = h2k_json_get_string (h2k_json_get_object (doc, "vars"), "RESUME");
    json_object *fs = v && is_device_name (v) ? filesystem_for_device (f, v) : NULL;
    CLEANUP_FREE char *stable = fs ? stable_spec (fs) : NULL;
    if (stable) {
      int line = (int) h2k_json_get_int (h2k_json_get_object (doc, "lines"), "RESUME", 0);
      CLEANUP_FREE char *old = text_line (text, line), *new_line = NULL;
      json_object *d = edit_details (resume);
      if (old == NULL || d == NULL || asprintf (&new_line, "RESUME=%s", stable) == -1 ||
          edit_add (d, line, old, new_line) == -1 ||
          !h2k_fixer_plan (&f->fx, "edit-lines", resume, d, "the resume device by UUID"))
        return -1;
    }
  }
  for (size_t i = 0; bls[i]; ++i) {
    CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, bls[i], MAX_CFG);
    CLEANUP_JSON json_object *doc = text ? h2k_linuxcfg_bls (text, strlen (text), bls[i]) : NULL;
    const char *opts = h2k_json_get_string (doc, "options");
    CLEANUP_FREE char *fixed = NULL, *old = NULL, *new_line = NULL;
    int err, line;
    json_object *d;

    if (opts == NULL || (fixed = fix_cmdline (f, opts, &err)) == NULL) {
      if (opts && err)
        return -1;
      continue;
    }
    line = (int) h2k_json_get_int (h2k_json_get_object (doc, "lines"), "options", 0);
    old = text_line (text, line);
    d = edit_details (bls[i]);
    if (old == NULL || d == NULL || asprintf (&new_line, "options %s", fixed) == -1 ||
        edit_add (d, line, old, new_line) == -1 ||
        !h2k_fixer_plan (&f->fx, "edit-lines", bls[i], d, "BLS entry: root=/resume= by UUID"))
      return -1;
  }
  return 0;
}

/* RHEL 8 keeps the command line in grubenv ("kernelopts=root=... ro"),
 * which its BLS entries use as "options $kernelopts".  It is set with
 * the guest's grub2-editenv (grub-editenv elsewhere), which keeps the
 * block at its fixed size.
 */
static int
plan_grubenv (struct fix *f)
{
  static const char *const envs[] = { "/boot/grub2/grubenv", "/boot/grub/grubenv", NULL };
  static const char *const tools[][2] = {
    { "/usr/bin/grub2-editenv", "grub2-editenv" },
    { "/usr/sbin/grub2-editenv", "grub2-editenv" },
    { "/usr/bin/grub-editenv", "grub-editenv" },
  };

  for (size_t i = 0; envs[i]; ++i) {
    CLEANUP_FREE char *text = NULL, *fixed = NULL, *assign = NULL;
    CLEANUP_JSON json_object *doc = NULL;
    const char *opts, *tool = NULL;
    int err;

    if (!h2k_guest_is_file (f->fx.g, envs[i]) ||
        (text = h2k_guest_read_text (f->fx.g, envs[i], MAX_CFG)) == NULL)
      continue;
    doc = h2k_linuxcfg_grubenv (text, strlen (text), envs[i]);
    if (doc == NULL)
      return -1;
    opts = h2k_json_get_string (h2k_json_get_object (doc, "vars"), "kernelopts");
    if (opts == NULL || (fixed = fix_cmdline (f, opts, &err)) == NULL) {
      if (opts && err)
        return -1;
      continue;
    }
    for (size_t j = 0; j < sizeof tools / sizeof tools[0] && !tool; ++j)
      if (h2k_guest_is_file (f->fx.g, tools[j][0]))
        tool = tools[j][1];
    if (tool == NULL) {
      h2k_error ("%s: kernelopts names a device (%s) and the guest has no "
                 "grub2-editenv to change it", envs[i], opts);
      return -1;
    }
    if (asprintf (&assign, "kernelopts=%s", fixed) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    const char *argv[] = { tool, envs[i], "set", assign, NULL };
    const char *files[] = { envs[i], NULL };
    if (!h2k_fixer_plan (&f->fx, "command", envs[i], command_details (argv, files, files),
                         "grubenv's kernelopts (the BLS entries' $kernelopts): "
                         "root=/resume= by UUID, with the guest's %s", tool))
      return -1;
  }
  return 0;
}

/* Does the generated grub.cfg boot with a device name? */
static int
grub_cfg_needs_regen (struct fix *f, const char *cfg)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, cfg, MAX_CFG);
  CLEANUP_JSON json_object *doc = text ? h2k_linuxcfg_grub_cfg (text, strlen (text), cfg) : NULL;
  json_object *entries = h2k_json_get_array (doc, "entries");

  for (size_t i = 0; entries && i < json_object_array_length (entries); ++i) {
    const char *c = h2k_json_get_string (json_object_array_get_idx (entries, i), "cmdline");
    CLEANUP_FREE char *fixed = NULL;
    int err;

    if (c && (fixed = fix_cmdline (f, c, &err)) != NULL)
      return 1;
  }
  return 0;
}

int
plan_grub (struct fix *f)
{
  static const char *const maps[] = { "/boot/grub/device.map", "/boot/grub2/device.map", NULL };
  static const char *const cfgs[][2] = {
    { "/boot/grub/grub.cfg", "grub-mkconfig" },
    { "/boot/grub2/grub.cfg", "grub2-mkconfig" },
  };
  int planned = 0;

  if (plan_default_grub (f, &planned) == -1 || plan_line_files (f) == -1 ||
      plan_grubenv (f) == -1)
    return -1;
  for (size_t i = 0; maps[i]; ++i) {
    json_object *d;
    if (!h2k_guest_is_file (f->fx.g, maps[i]))
      continue;
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", maps[i]) == -1 ||
        !h2k_fixer_plan (&f->fx, "remove-file", maps[i], d,
                         "device.map names the source's disks; grub works without it"))
      return -1;
    planned = 1;
  }
  for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
    const char *cfg = cfgs[i][0], *tool = cfgs[i][1];
    const char *argv[] = { tool, "-o", cfg, NULL };
    const char *files[] = { cfg, NULL };

    if (!h2k_guest_is_file (f->fx.g, cfg) || (!planned && !grub_cfg_needs_regen (f, cfg)))
      continue;
    if (!h2k_fixer_plan (&f->fx, "command", cfg, command_details (argv, files, files),
                         "regenerate %s with the guest's %s so that every entry "
                         "boots by UUID", cfg, tool))
      return -1;
  }
  return 0;
}
