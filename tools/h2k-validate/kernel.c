/* h2k-validate: the kernel the bootloader boots by default, its
 * initramfs, and the virtio drivers the validation boot needs from them.
 * Read from the guest itself (grub.cfg and grubenv, else BLS entries,
 * else the newest /boot/vmlinuz-*), not from the manifest: the image may
 * have changed since h2k-inspect ran.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"

static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

struct entry {
  const char *source;           /* grub.cfg path, BLS file, "newest" */
  char *title, *vmlinuz, *initrd;
};

static void
entry_free (struct entry *e)
{
  free (e->title);
  free (e->vmlinuz);
  free (e->initrd);
}

static int
dup_to (char **dst, const char *s)
{
  if (s == NULL)
    return 0;
  if ((*dst = strdup (s)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  return 0;
}

/* The last word of S (several initrds: the microcode comes first). */
static char *
last_word (const char *s)
{
  const char *p = s ? s + strlen (s) : NULL;

  if (s == NULL)
    return NULL;
  while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
    p--;
  const char *end = p;
  while (p > s && p[-1] != ' ' && p[-1] != '\t')
    p--;
  return strndup (p, (size_t) (end - p));
}

/* The parsed PATH; NULL when it is missing (*ERR 0) or cannot be parsed
 * (*ERR 1, reported by the parser).
 */
static json_object *
parse_guest_file (guestfs_h *g, const char *path,
                  json_object *(*parse) (const char *, size_t, const char *),
                  int *err)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (g, path, LINUXCFG_MAX_FILE);
  json_object *doc;

  if (text == NULL)
    return NULL;
  doc = parse (text, strlen (text), path);
  if (doc == NULL)
    *err = 1;
  return doc;
}

static char *
saved_entry (guestfs_h *g, int *err)
{
  static const char *const envs[] = { "/boot/grub/grubenv", "/boot/grub2/grubenv", NULL };

  for (size_t i = 0; envs[i]; ++i) {
    CLEANUP_JSON json_object *doc = parse_guest_file (g, envs[i], h2k_linuxcfg_grubenv, err);
    const char *v = h2k_json_get_string (h2k_json_get_object (doc, "vars"), "saved_entry");
    if (v && *v)
      return strdup (v);
  }
  return NULL;
}

json_object *
kernel_pick_grub_entry (json_object *entries, const char *def)
{
  size_t n = json_object_array_length (entries);
  const char *gt = def ? strrchr (def, '>') : NULL;

  if (def && *def && strspn (def, "0123456789") == strlen (def)) {
    size_t want = strtoul (def, NULL, 10), item = 0;
    const char *prev_sub = NULL;
    for (size_t i = 0; i < n; ++i) {
      json_object *e = json_object_array_get_idx (entries, i);
      const char *sub = h2k_json_get_string (e, "submenu");
      if (sub && prev_sub && strcmp (sub, prev_sub) == 0)
        continue;               /* the same submenu: the same item */
      prev_sub = sub;
      if (item++ == want)
        return e;
    }
  }
  else if (def && *def) {
    const char *title = gt ? gt + 1 : def;
    for (size_t i = 0; i < n; ++i) {
      json_object *e = json_object_array_get_idx (entries, i);
      if (strcmp (h2k_json_get_string (e, "title") ? : "", title) == 0)
        return e;
    }
  }
  return n ? json_object_array_get_idx (entries, 0) : NULL;
}

static int
from_grub (guestfs_h *g, struct entry *e, int *found)
{
  static const char *const cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", NULL };

  for (size_t i = 0; cfgs[i] && !*found; ++i) {
    int err = 0;
    CLEANUP_JSON json_object *doc = parse_guest_file (g, cfgs[i], h2k_linuxcfg_grub_cfg, &err);
    CLEANUP_FREE char *saved = NULL;
    json_object *entries = h2k_json_get_array (doc, "entries");
    const char *def = h2k_json_get_string (doc, "default");
    json_object *pick;

    if (err)
      return -1;
    if (entries == NULL || json_object_array_length (entries) == 0)
      continue;
    if (def && strstr (def, "saved")) {
      def = saved = saved_entry (g, &err);
      if (err)
        return -1;
    }
    pick = kernel_pick_grub_entry (entries, def);
    if (pick == NULL || h2k_json_get_string (pick, "linux") == NULL)
      continue;
    e->source = cfgs[i];
    *found = 1;
    if (dup_to (&e->title, h2k_json_get_string (pick, "title")) == -1 ||
        dup_to (&e->vmlinuz, h2k_json_get_string (pick, "linux")) == -1)
      return -1;
    if (h2k_json_get_string (pick, "initrd") &&
        (e->initrd = last_word (h2k_json_get_string (pick, "initrd"))) == NULL) {
      h2k_error ("%m");
      return -1;
    }
  }
  return 0;
}

/* BLS: grubenv's saved_entry names the file, else the highest version. */
static int
from_bls (guestfs_h *g, struct entry *e, int *found)
{
  CLEANUP_FREE_STRV char **files = h2k_guest_glob (g, "/boot/loader/entries/*.conf");
  CLEANUP_FREE char *saved = NULL;
  CLEANUP_JSON json_object *best = NULL;
  const char *best_file = NULL;
  int err = 0;

  if (files == NULL)
    return -1;
  if (files[0] == NULL)
    return 0;
  saved = saved_entry (g, &err);
  for (size_t i = 0; !err && files[i]; ++i) {
    const char *base = strrchr (files[i], '/') + 1;
    json_object *doc = parse_guest_file (g, files[i], h2k_linuxcfg_bls, &err);
    const char *v = h2k_json_get_string (doc, "version");
    int take;

    if (doc == NULL || h2k_json_get_string (doc, "linux") == NULL) {
      json_object_put (doc);
      continue;
    }
    take = best == NULL ||
      (saved && strncmp (base, saved, strlen (saved)) == 0 &&
       strcmp (base + strlen (saved), ".conf") == 0) ||
      (!saved && v && strverscmp (v, h2k_json_get_string (best, "version") ? : "") > 0);
    if (take) {
      json_object_put (best);
      best = doc;
      best_file = files[i];
    }
    else
      json_object_put (doc);
  }
  if (err)
    return -1;
  if (best == NULL)
    return 0;
  {
    json_object *initrds = h2k_json_get_array (best, "initrd");
    size_t n = initrds ? json_object_array_length (initrds) : 0;
    *found = 1;
    e->source = "bls";
    if (dup_to (&e->title, best_file) == -1 ||
        dup_to (&e->vmlinuz, h2k_json_get_string (best, "linux")) == -1 ||
        (n && dup_to (&e->initrd, json_object_get_string (json_object_array_get_idx (initrds, n - 1))) == -1))
      return -1;
  }
  return 0;
}

static int
by_version (const void *a, const void *b)
{
  return strverscmp (*(char *const *) a, *(char *const *) b);
}

static int
from_newest (guestfs_h *g, struct entry *e, int *found)
{
  CLEANUP_FREE_STRV char **k = h2k_guest_glob (g, "/boot/vmlinuz-*");
  size_t n = 0;

  if (k == NULL)
    return -1;
  while (k[n])
    n++;
  if (n == 0)
    return 0;
  qsort (k, n, sizeof *k, by_version);
  *found = 1;
  e->source = "newest";
  return dup_to (&e->vmlinuz, k[n - 1]);
}

/* PATH as the bootloader names it, relative to /boot's filesystem when
 * /boot is separate: the guest path that exists, or NULL.
 */
static char *
guest_path (guestfs_h *g, const char *path)
{
  char *p;

  if (path == NULL)
    return NULL;
  if (h2k_guest_is_file (g, path))
    return strdup (path);
  if (asprintf (&p, "/boot%s%s", path[0] == '/' ? "" : "/", path) == -1)
    return NULL;
  if (h2k_guest_is_file (g, p))
    return p;
  free (p);
  return NULL;
}

static int
strv_has (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; ++i)
    if (strcmp (v[i], s) == 0)
      return 1;
  return 0;
}

/* "builtin", "initramfs", "module" (installed, not in the initramfs) or
 * "missing", for each virtio module, into V.
 */
static int
virtio_status (guestfs_h *g, const char *version, char **mods, json_object *v)
{
  CLEANUP_FREE char *bpath = NULL, *btext = NULL;

  if (asprintf (&bpath, "/lib/modules/%s/modules.builtin", version) == -1)
    return -1;
  btext = h2k_guest_read_text (g, bpath, 4 << 20);
  for (size_t i = 0; virtio_modules[i]; ++i) {
    const char *m = virtio_modules[i];
    CLEANUP_FREE char *needle = NULL, *pattern = NULL;
    CLEANUP_FREE_STRV char **found = NULL;
    const char *st;

    if (asprintf (&needle, "/%s.ko\n", m) == -1 ||
        asprintf (&pattern, "/lib/modules/%s/kernel/drivers/*/%s.ko*", version, m) == -1)
      return -1;
    if (btext && strstr (btext, needle))
      st = "builtin";
    else if (strv_has (mods, m))
      st = "initramfs";
    else {
      found = h2k_guest_glob (g, pattern);
      st = found && found[0] ? "module" : "missing";
    }
    if (h2k_json_set_string (v, m, st) == -1)
      return -1;
  }
  return 0;
}

/* What the boot needs: the disk driver (by the bus) in the initramfs or
 * the kernel; virtio_net at least installed (udev loads it from the root
 * filesystem) when the VM has NICs.
 */
static int
judge_virtio (struct run *r, json_object *k, json_object *v)
{
  const char *disk = strcmp (r->cfg.bus, "virtio-blk") == 0 ? "virtio_blk"
    : strcmp (r->cfg.bus, "virtio-scsi") == 0 ? "virtio_scsi" : NULL;
  const char *version = h2k_json_get_string (k, "version");
  const char *initrd = h2k_json_get_string (k, "initramfs");
  char lacks[128] = "", absent[128] = "";

  for (size_t i = 0; disk && i < 2; ++i) {
    const char *m = i == 0 ? "virtio_pci" : disk;
    const char *st = h2k_json_get_string (v, m);
    if (strcmp (st, "builtin") != 0 && strcmp (st, "initramfs") != 0)
      snprintf (lacks + strlen (lacks), sizeof lacks - strlen (lacks), "%s%s",
                lacks[0] ? ", " : "", m);
  }
  for (size_t i = 0; r->net.n_nics > 0 && i < 2; ++i) {
    const char *m = i == 0 ? "virtio_pci" : "virtio_net";
    if (strcmp (h2k_json_get_string (v, m), "missing") == 0)
      snprintf (absent + strlen (absent), sizeof absent - strlen (absent), "%s%s",
                absent[0] ? ", " : "", m);
  }
  if (h2k_json_set_string (k, "status", lacks[0] || absent[0] ? "failed" : "ok") == -1)
    return -1;
  if (lacks[0] &&
      offline_fail (r, "kernel %s: %s lacks %s (not built in): the guest cannot "
                    "find its disk on %s", version, initrd ? initrd : "no initramfs",
                    lacks, r->cfg.bus) == -1)
    return -1;
  if (absent[0] &&
      offline_fail (r, "kernel %s has no %s driver: the NIC will not work",
                    version, absent) == -1)
    return -1;
  return 0;
}

static int
check_entry (struct run *r, guestfs_h *g, const struct entry *e, json_object *k)
{
  CLEANUP_FREE char *kpath = guest_path (g, e->vmlinuz);
  CLEANUP_FREE char *ipath = NULL;
  CLEANUP_FREE_STRV char **mods = NULL;
  const char *base = strrchr (e->vmlinuz, '/');
  const char *version = strstr (base ? base : e->vmlinuz, "vmlinuz-");
  json_object *v;

  version = version ? version + strlen ("vmlinuz-") : NULL;
  ipath = e->initrd ? guest_path (g, e->initrd) : h2k_guest_find_initramfs (g, version);
  if (h2k_json_set_string (k, "source", e->source) == -1 ||
      (e->title && h2k_json_set_string (k, "title", e->title) == -1) ||
      h2k_json_set_string (k, "linux", e->vmlinuz) == -1 ||
      (kpath && h2k_json_set_string (k, "path", kpath) == -1) ||
      (version && h2k_json_set_string (k, "version", version) == -1) ||
      (ipath && h2k_json_set_string (k, "initramfs", ipath) == -1) ||
      (e->initrd && !ipath && h2k_json_set_string (k, "initramfs_missing", e->initrd) == -1))
    return -1;
  if (kpath == NULL) {
    if (h2k_json_set_string (k, "status", "failed") == -1)
      return -1;
    return offline_fail (r, "%s: the default kernel %s does not exist",
                         e->source, e->vmlinuz);
  }
  if (e->initrd && ipath == NULL) {
    if (h2k_json_set_string (k, "status", "failed") == -1)
      return -1;
    return offline_fail (r, "%s: the initramfs %s of kernel %s does not exist",
                         e->source, e->initrd, version ? version : e->vmlinuz);
  }
  if (version == NULL)
    return h2k_json_set_string (k, "status", "unchecked");
  if (ipath && (mods = h2k_guest_initramfs_modules (g, ipath)) == NULL)
    return -1;
  if ((v = h2k_json_ensure_object (k, "virtio")) == NULL ||
      virtio_status (g, version, mods, v) == -1)
    return -1;
  return judge_virtio (r, k, v);
}

int
check_kernel (struct run *r, guestfs_h *g, json_object *gi)
{
  struct entry e = { 0 };
  json_object *k = h2k_json_ensure_object (gi, "kernel");
  int found = 0, ret = -1;

  if (k == NULL)
    return -1;
  if (r->cfg.kernel)
    return h2k_json_set_string (k, "status", "skipped") == -1 ||
           h2k_json_set_string (k, "why", "--kernel boots a kernel from the host") == -1
      ? -1 : 0;
  if (from_grub (g, &e, &found) == -1 ||
      (!found && from_bls (g, &e, &found) == -1) ||
      (!found && from_newest (g, &e, &found) == -1))
    goto out;
  if (!found) {
    ret = h2k_json_set_string (k, "status", "failed") == -1 ||
          offline_fail (r, "no kernel found: no grub.cfg entry, BLS entry or "
                        "/boot/vmlinuz-*") == -1 ? -1 : 0;
    goto out;
  }
  ret = check_entry (r, g, &e, k);
 out:
  entry_free (&e);
  return ret;
}
