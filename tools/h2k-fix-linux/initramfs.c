/* h2k-fix-linux: every installed kernel's initramfs holds the virtio
 * drivers, built by the guest's own tool.
 *
 * initramfs-tools: the modules are listed in /etc/initramfs-tools/modules
 * (always included, even with MODULES=dep) and every image is rebuilt with
 * update-initramfs.  dracut: a drop-in /etc/dracut.conf.d/ file adds them
 * and each image is rebuilt with dracut -f.  mkinitcpio (Arch): they join
 * the MODULES=(...) array of /etc/mkinitcpio.conf and each image is
 * rebuilt with mkinitcpio -k VERSION -g IMAGE.  SUSE's mkinitrd (SLES 11):
 * they join INITRD_MODULES="..." in /etc/sysconfig/kernel and each image
 * is rebuilt with mkinitrd -k KERNEL -i IMAGE.  Red Hat's mkinitrd (RHEL 5)
 * is refused.  The previous images are kept
 * under /var/lib/h2k/backup.  Whether an image needs rebuilding is decided
 * by listing it now, so a second run does nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

static const char *const virtio[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

#define DRACUT_CONF "/etc/dracut.conf.d/90-h2k-virtio.conf"
#define ITOOLS_MODULES "/etc/initramfs-tools/modules"

static int
builtin_or_in (struct fix *f, const char *version, char **mods, const char *m)
{
  CLEANUP_FREE char *path = NULL, *text = NULL, *needle = NULL;

  for (size_t i = 0; mods && mods[i]; ++i)
    if (strcmp (mods[i], m) == 0)
      return 1;
  if (asprintf (&path, "/lib/modules/%s/modules.builtin", version) == -1 ||
      asprintf (&needle, "/%s.ko\n", m) == -1)
    return 0;
  text = h2k_guest_read_text (f->fx.g, path, 4 << 20);
  return text && strstr (text, needle);
}

/* Kernels (from inspection) whose initramfs lacks a storage driver now. */
static int
kernels_needing (struct fix *f, json_object *need)
{
  json_object *ks = h2k_json_get_array (f->guest, "kernels");

  for (size_t i = 0; ks && i < json_object_array_length (ks); ++i) {
    json_object *k = json_object_array_get_idx (ks, i);
    const char *v = h2k_json_get_string (k, "version");
    const char *img = h2k_json_get_string (k, "initramfs");
    CLEANUP_FREE_STRV char **mods = NULL;
    int missing = 0;

    if (img == NULL || !h2k_guest_is_file (f->fx.g, img))
      continue;
    mods = h2k_guest_initramfs_modules (f->fx.g, img);
    if (mods == NULL)
      return -1;
    for (size_t j = 0; virtio[j]; ++j)
      if (strcmp (virtio[j], "virtio_net") && !builtin_or_in (f, v, mods, virtio[j]))
        missing = 1;
    if (missing && h2k_json_array_add (need, json_object_get (k)) == -1)
      return -1;
  }
  return 0;
}

/* "modules" file content with the missing virtio lines appended. */
static char *
with_modules (const char *old, int *added)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  *added = 0;
  if (fp == NULL)
    return NULL;
  fputs (old, fp);
  if (*old && old[strlen (old) - 1] != '\n')
    fputc ('\n', fp);
  for (size_t i = 0; virtio[i]; ++i) {
    CLEANUP_FREE char *line = NULL;
    if (asprintf (&line, "\n%s\n", virtio[i]) == -1)
      break;
    if (strstr (old, line + 1) == old || strstr (old, line))
      continue;
    if (*added == 0)
      fputs ("# Added by h2k-fix-linux: the disk and NIC are virtio on KVM.\n", fp);
    fprintf (fp, "%s\n", virtio[i]);
    (*added)++;
  }
  if (fclose (fp) != 0) {
    free (buf);
    return NULL;
  }
  return buf;
}

static int
plan_itools (struct fix *f, json_object *need)
{
  CLEANUP_FREE char *old = h2k_guest_read_text (f->fx.g, ITOOLS_MODULES, 1 << 20);
  CLEANUP_FREE char *content = NULL;
  const char *argv[] = { "update-initramfs", "-u", "-k", "all", NULL };
  size_t n = json_object_array_length (need);
  CLEANUP_FREE const char **images = calloc (n + 1, sizeof *images);
  int added;
  json_object *d;

  content = with_modules (old ? old : "", &added);
  if (content == NULL || images == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (added) {
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", ITOOLS_MODULES) == -1 ||
        h2k_json_set_string (d, "content", content) == -1 ||
        !h2k_fixer_plan (&f->fx, "write-file", ITOOLS_MODULES, d,
                         "list the virtio drivers so that every initramfs holds them"))
      return -1;
  }
  for (size_t i = 0; i < n; ++i)
    images[i] = h2k_json_get_string (json_object_array_get_idx (need, i), "initramfs");
  return h2k_fixer_plan (&f->fx, "command", NULL, command_details (argv, images, images),
                         "rebuild the initramfs of %zu kernel%s with update-initramfs; "
                         "the previous images are kept in " BACKUP_DIR, n,
                         n == 1 ? "" : "s") ? 0 : -1;
}

/* The command line that rebuilds kernel K's image, into ARGV (at most
 * five words and the NULL).
 */
typedef void (*rebuild_argv_fn) (json_object *k, const char **argv);

static void
dracut_argv (json_object *k, const char **argv)
{
  argv[0] = "dracut";
  argv[1] = "-f";
  argv[2] = h2k_json_get_string (k, "initramfs");
  argv[3] = h2k_json_get_string (k, "version");
}

static void
mkinitcpio_argv (json_object *k, const char **argv)
{
  argv[0] = "mkinitcpio";
  argv[1] = "-k";
  argv[2] = h2k_json_get_string (k, "version");
  argv[3] = "-g";
  argv[4] = h2k_json_get_string (k, "initramfs");
}

/* SUSE's: -k names the kernel image. */
static void
mkinitrd_argv (json_object *k, const char **argv)
{
  argv[0] = "mkinitrd";
  argv[1] = "-k";
  argv[2] = h2k_json_get_string (k, "path");
  argv[3] = "-i";
  argv[4] = h2k_json_get_string (k, "initramfs");
}

/* One command item per kernel of NEED, rebuilding its image with TOOL;
 * the previous image is backed up by the applier.
 */
static int
plan_rebuild_each (struct fix *f, json_object *need, const char *tool,
                   rebuild_argv_fn fill)
{
  for (size_t i = 0; i < json_object_array_length (need); ++i) {
    json_object *k = json_object_array_get_idx (need, i);
    const char *img = h2k_json_get_string (k, "initramfs");
    const char *argv[6] = { NULL };
    const char *files[] = { img, NULL };

    fill (k, argv);
    if (!h2k_fixer_plan (&f->fx, "command", img, command_details (argv, files, files),
                         "rebuild %s with %s; the previous image is kept in "
                         BACKUP_DIR, img, tool))
      return -1;
  }
  return 0;
}

static int
plan_dracut (struct fix *f, json_object *need)
{
  static const char content[] =
    "# Written by h2k-fix-linux: the disk and NIC are virtio on KVM.\n"
    "add_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n";
  CLEANUP_FREE char *old = h2k_guest_read_text (f->fx.g, DRACUT_CONF, 1 << 20);
  json_object *d;

  if (old == NULL || strcmp (old, content) != 0) {
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", DRACUT_CONF) == -1 ||
        h2k_json_set_string (d, "content", content) == -1 ||
        !h2k_fixer_plan (&f->fx, "write-file", DRACUT_CONF, d,
                         "have dracut add the virtio drivers to every initramfs"))
      return -1;
  }
  return plan_rebuild_each (f, need, "dracut", dracut_argv);
}

/* Is WORD one of the blank-separated words of [P, END)? */
static int
has_word (const char *p, const char *end, const char *word)
{
  size_t n = strlen (word);

  while (p < end) {
    size_t w;
    p += strspn (p, " \t");
    if (p >= end)
      break;
    w = strcspn (p, " \t");
    if (p + w > end)
      w = end - p;
    if (w == n && strncmp (p, word, n) == 0)
      return 1;
    p += w;
  }
  return 0;
}

/* LINE ("NAME=(a b)", "NAME=\"a b\"", "NAME='a b'" or "NAME=a") with
 * every module of ADD it lacks appended inside its delimiters (an
 * unquoted value gets double quotes); what follows the closing delimiter
 * is kept.  *ADDED is how many were appended.  NULL reported (out of
 * memory) or, with *ADDED = -1, when LINE is no such assignment.
 */
char *
list_assignment_with (const char *line, const char *const *add, int *added)
{
  const char *eq = strchr (line, '=');
  const char *body, *end;
  char open = 0, close = 0;
  char *buf = NULL;
  size_t len = 0;
  int words;
  FILE *fp;

  *added = -1;
  if (eq == NULL)
    return NULL;
  body = eq + 1;
  if (*body == '(')
    open = '(', close = ')';
  else if (*body == '"' || *body == '\'')
    open = close = *body;
  if (open) {
    if ((end = strchr (body + 1, close)) == NULL)
      return NULL;
    body++;
  }
  else
    end = body + strcspn (body, " \t#");
  *added = 0;
  if ((fp = open_memstream (&buf, &len)) == NULL)
    return NULL;
  fprintf (fp, "%.*s%c%.*s", (int) (eq + 1 - line), line, open ? open : '"',
           (int) (end - body), body);
  words = body + strspn (body, " \t") < end;
  for (size_t i = 0; add[i]; ++i) {
    if (has_word (body, end, add[i]))
      continue;
    fprintf (fp, "%s%s", words ? " " : "", add[i]);
    words = 1;
    (*added)++;
  }
  fputc (close ? close : '"', fp);
  fputs (open ? end + 1 : end, fp);
  if (fclose (fp) != 0) {
    free (buf);
    return NULL;
  }
  return buf;
}

/* The line of TEXT (1-based) holding the last uncommented NAME=
 * assignment, or 0.
 */
static int
assignment_line (const char *text, const char *name)
{
  size_t n = strlen (name);
  int line = 1, found = 0;

  for (const char *p = text; *p; ++line) {
    const char *s = p + strspn (p, " \t");
    if (strncmp (s, name, n) == 0 && s[n] == '=')
      found = line;
    p = strchr (p, '\n');
    if (p == NULL)
      break;
    p++;
  }
  return found;
}

/* Add the virtio modules to the list assigned to NAME in PATH: edit its
 * line, or append an assignment when there is none.
 */
static int
plan_module_list (struct fix *f, const char *path, const char *name,
                  const char *why)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, 1 << 20);
  CLEANUP_FREE char *old = NULL, *new_line = NULL, *content = NULL;
  int line, added;
  json_object *d;

  if (text == NULL) {
    h2k_error ("%s: cannot read it, and the initramfs lacks virtio", path);
    return -1;
  }
  line = assignment_line (text, name);
  if (line == 0) {
    if (asprintf (&content, "%s%s# Added by h2k-fix-linux: the disk and NIC are virtio on KVM.\n"
                  "%s=\"virtio_pci virtio_blk virtio_scsi virtio_net\"\n",
                  text, *text && text[strlen (text) - 1] != '\n' ? "\n" : "", name) == -1)
      goto oom;
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", path) == -1 ||
        h2k_json_set_string (d, "content", content) == -1)
      goto oom;
    return h2k_fixer_plan (&f->fx, "write-file", path, d, "%s", why) ? 0 : -1;
  }
  if ((old = text_line (text, line)) == NULL ||
      (new_line = list_assignment_with (old, virtio, &added)) == NULL) {
    if (old && added == -1) {
      h2k_error ("%s:%d: cannot read the %s= list: %s", path, line, name, old);
      return -1;
    }
    goto oom;
  }
  if (added == 0)
    return 0;
  d = edit_details (path);
  if (d == NULL || edit_add (d, line, old, new_line) == -1)
    goto oom;
  return h2k_fixer_plan (&f->fx, "edit-lines", path, d, "%s", why) ? 0 : -1;
 oom:
  h2k_error ("out of memory");
  return -1;
}

static int
plan_mkinitcpio (struct fix *f, json_object *need)
{
  if (plan_module_list (f, "/etc/mkinitcpio.conf", "MODULES",
                        "list the virtio drivers so that every initramfs holds them") == -1)
    return -1;
  return plan_rebuild_each (f, need, "mkinitcpio", mkinitcpio_argv);
}

/* SUSE's mkinitrd reads INITRD_MODULES from /etc/sysconfig/kernel; Red
 * Hat's (RHEL 5) has no such file and is not driven.
 */
static int
plan_mkinitrd (struct fix *f, json_object *need)
{
  static const char sysconfig[] = "/etc/sysconfig/kernel";

  if (!h2k_guest_is_file (f->fx.g, sysconfig)) {
    h2k_error ("the initramfs lacks virtio and this guest builds it with "
               "Red Hat's mkinitrd (no %s), which h2k-fix-linux does not "
               "drive", sysconfig);
    return -1;
  }
  if (plan_module_list (f, sysconfig, "INITRD_MODULES",
                        "list the virtio drivers so that every initrd holds them") == -1)
    return -1;
  return plan_rebuild_each (f, need, "mkinitrd", mkinitrd_argv);
}

int
plan_initramfs (struct fix *f)
{
  CLEANUP_JSON json_object *need = json_object_new_array ();
  const char *tool = h2k_json_get_string (f->guest, "initramfs_tool");

  if (need == NULL || kernels_needing (f, need) == -1)
    return -1;
  if (json_object_array_length (need) == 0)
    return 0;
  if (tool && strcmp (tool, "initramfs-tools") == 0)
    return plan_itools (f, need);
  if (tool && strcmp (tool, "dracut") == 0)
    return plan_dracut (f, need);
  if (tool && strcmp (tool, "mkinitcpio") == 0)
    return plan_mkinitcpio (f, need);
  if (tool && strcmp (tool, "mkinitrd") == 0)
    return plan_mkinitrd (f, need);
  h2k_error ("the initramfs lacks virtio and this guest builds it with %s, "
             "which h2k-fix-linux does not drive yet", tool ? tool : "an unknown tool");
  return -1;
}
