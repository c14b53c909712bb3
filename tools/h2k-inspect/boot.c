/* h2k-inspect: bootloader, kernels and their initramfs. */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"

/* Modules a guest needs to find its disk and NIC on KVM. */
static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

static const char *const grub_cfgs[] = {
  "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", NULL
};
static const char *const grubenvs[] = {
  "/boot/grub2/grubenv", "/boot/grub/grubenv", NULL
};

static int
add_if_file (guestfs_h *g, json_object *arr, const char *path)
{
  return h2k_guest_is_file (g, path) ? h2k_json_array_add_string (arr, path) : 0;
}

/* EFI loaders on the ESP (mounted at /boot/efi or /efi). */
static int
efi_loaders (guestfs_h *g, json_object *bl)
{
  static const char *const globs[] = {
    "/boot/efi/EFI/*/*.efi", "/boot/efi/EFI/*/*.EFI",
    "/efi/EFI/*/*.efi", "/efi/EFI/*/*.EFI", NULL
  };
  json_object *arr = h2k_json_ensure_array (bl, "efi_loaders");
  int fallback = 0, shim = 0;

  if (arr == NULL)
    return -1;
  for (size_t i = 0; globs[i]; ++i) {
    CLEANUP_FREE_STRV char **files = h2k_guest_glob (g, globs[i]);
    if (files == NULL)
      return -1;
    for (size_t j = 0; files[j]; ++j) {
      if (h2k_json_array_add_string (arr, files[j]) == -1)
        return -1;
      if (strcasestr (files[j], "/EFI/BOOT/BOOTX64.EFI"))
        fallback = 1;
      if (strcasestr (files[j], "/shimx64.efi"))
        shim = 1;
    }
  }
  if (h2k_json_set_bool (bl, "efi_fallback", fallback) == -1 ||
      h2k_json_set_bool (bl, "shim", shim) == -1)
    return -1;
  return 0;
}

static const char *
bootloader_kind (guestfs_h *g, json_object *bl)
{
  json_object *loaders = h2k_json_get_array (bl, "efi_loaders");
  size_t nl = loaders ? json_object_array_length (loaders) : 0;
  int grub2 = h2k_guest_is_file (g, "/boot/grub/grub.cfg") ||
              h2k_guest_is_file (g, "/boot/grub2/grub.cfg");
  int grub_bios = h2k_guest_is_dir (g, "/boot/grub/i386-pc") ||
                  h2k_guest_is_dir (g, "/boot/grub2/i386-pc");

  if (h2k_guest_is_file (g, "/boot/efi/loader/loader.conf") ||
      h2k_guest_is_file (g, "/efi/loader/loader.conf"))
    return "systemd-boot";
  if (grub2 && nl > 0 && !grub_bios)
    return "grub2-efi";
  if (grub2)
    return "grub2-bios";
  if (h2k_guest_is_file (g, "/boot/grub/menu.lst") || h2k_guest_is_file (g, "/boot/grub/grub.conf"))
    return "grub-legacy";
  if (h2k_guest_is_file (g, "/boot/extlinux/extlinux.conf") ||
      h2k_guest_is_file (g, "/boot/syslinux/syslinux.cfg") ||
      h2k_guest_is_file (g, "/extlinux.conf"))
    return "extlinux";
  return "unknown";
}

static int
inspect_bootloader (guestfs_h *g, json_object *guest)
{
  json_object *bl = h2k_json_ensure_object (guest, "bootloader");
  json_object *files = h2k_json_ensure_array (bl, "config_files");
  CLEANUP_FREE_STRV char **bls = NULL;

  if (bl == NULL || files == NULL || efi_loaders (g, bl) == -1)
    return -1;
  for (size_t i = 0; grub_cfgs[i]; ++i)
    if (add_if_file (g, files, grub_cfgs[i]) == -1)
      return -1;
  {
    CLEANUP_FREE_STRV char **efi_cfgs = h2k_guest_glob (g, "/boot/efi/EFI/*/grub.cfg");
    for (size_t i = 0; efi_cfgs && efi_cfgs[i]; ++i)
      if (h2k_json_array_add_string (files, efi_cfgs[i]) == -1)
        return -1;
  }
  if (add_if_file (g, files, "/etc/default/grub") == -1 ||
      add_if_file (g, files, "/boot/grub/device.map") == -1 ||
      add_if_file (g, files, "/boot/grub2/device.map") == -1)
    return -1;
  bls = h2k_guest_glob (g, "/boot/loader/entries/*.conf");
  if (bls == NULL || h2k_json_set_bool (bl, "bls", bls[0] != NULL) == -1)
    return -1;
  for (size_t i = 0; bls[i]; ++i)
    if (h2k_json_array_add_string (files, bls[i]) == -1)
      return -1;
  if (h2k_json_set_bool (bl, "device_map",
                         h2k_guest_is_file (g, "/boot/grub/device.map") ||
                         h2k_guest_is_file (g, "/boot/grub2/device.map")) == -1)
    return -1;
  return h2k_json_set_string (bl, "kind", bootloader_kind (g, bl));
}

static int
strv_has (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; ++i)
    if (strcmp (v[i], s) == 0)
      return 1;
  return 0;
}

/* modules.builtin lists drivers compiled into the kernel. */
static int
builtin (const char *builtin_text, const char *mod)
{
  CLEANUP_FREE char *needle = NULL;

  if (builtin_text == NULL || asprintf (&needle, "/%s.ko\n", mod) == -1)
    return 0;
  return strstr (builtin_text, needle) != NULL;
}

/* For each virtio module: "builtin", "initramfs" (in the image),
 * "module" (installed, but not in the initramfs) or "missing".
 */
static int
virtio_status (guestfs_h *g, json_object *k, const char *version,
               const char *initramfs)
{
  CLEANUP_FREE char *bpath = NULL, *btext = NULL, *pattern = NULL;
  CLEANUP_FREE_STRV char **mods = NULL;
  json_object *v = h2k_json_ensure_object (k, "virtio");

  if (v == NULL || asprintf (&bpath, "/lib/modules/%s/modules.builtin", version) == -1)
    return -1;
  btext = h2k_guest_read_text (g, bpath, 4 << 20);
  if (initramfs) {
    mods = h2k_guest_initramfs_modules (g, initramfs);
    if (mods == NULL)
      return -1;
  }
  for (size_t i = 0; virtio_modules[i]; ++i) {
    const char *m = virtio_modules[i];
    CLEANUP_FREE_STRV char **found = NULL;
    const char *status;

    if (builtin (btext, m))
      status = "builtin";
    else if (strv_has (mods, m))
      status = "initramfs";
    else {
      free (pattern);
      if (asprintf (&pattern, "/lib/modules/%s/kernel/drivers/*/%s.ko*", version, m) == -1)
        return -1;
      found = h2k_guest_glob (g, pattern);
      status = found && found[0] ? "module" : "missing";
    }
    if (h2k_json_set_string (v, m, status) == -1)
      return -1;
  }
  return 0;
}

/* Arch names its kernels by package (/boot/vmlinuz-linux, -linux-lts);
 * the version is the modules directory whose "pkgbase" file holds that
 * name.  NULL when there is none (the name is the version elsewhere).
 */
static char *
pkgbase_version (guestfs_h *g, const char *name)
{
  CLEANUP_FREE_STRV char **bases = h2k_guest_glob (g, "/usr/lib/modules/*/pkgbase");

  for (size_t i = 0; bases && bases[i]; ++i) {
    CLEANUP_FREE char *text = h2k_guest_read_text (g, bases[i], 4096);
    size_t n = strlen (name);
    if (text && strncmp (text, name, n) == 0 && (text[n] == '\n' || text[n] == 0)) {
      const char *v = bases[i] + strlen ("/usr/lib/modules/");
      return strndup (v, strcspn (v, "/"));
    }
  }
  return NULL;
}

static int
inspect_kernels (guestfs_h *g, json_object *guest)
{
  CLEANUP_FREE_STRV char **kernels = h2k_guest_glob (g, "/boot/vmlinuz-*");
  json_object *arr = h2k_json_ensure_array (guest, "kernels");

  if (kernels == NULL || arr == NULL)
    return -1;
  for (size_t i = 0; kernels[i]; ++i) {
    const char *suffix = kernels[i] + strlen ("/boot/vmlinuz-");
    CLEANUP_FREE char *initramfs = h2k_guest_find_initramfs (g, suffix);
    CLEANUP_FREE char *pkgbase = pkgbase_version (g, suffix);
    const char *version = pkgbase ? pkgbase : suffix;
    json_object *k = json_object_new_object ();

    if (h2k_json_array_add (arr, k) == -1)
      return -1;
    if (h2k_json_set_string (k, "version", version) == -1 ||
        h2k_json_set_string (k, "path", kernels[i]) == -1 ||
        (initramfs && h2k_json_set_string (k, "initramfs", initramfs) == -1) ||
        virtio_status (g, k, version, initramfs) == -1)
      return -1;
  }
  return 0;
}

static const char *
initramfs_tool (guestfs_h *g)
{
  if (h2k_guest_is_file (g, "/usr/sbin/update-initramfs"))
    return "initramfs-tools";
  if (h2k_guest_is_file (g, "/usr/bin/dracut") || h2k_guest_is_file (g, "/usr/sbin/dracut"))
    return "dracut";
  if (h2k_guest_is_file (g, "/usr/bin/mkinitcpio"))
    return "mkinitcpio";
  if (h2k_guest_is_file (g, "/sbin/mkinitrd") || h2k_guest_is_file (g, "/usr/sbin/mkinitrd"))
    return "mkinitrd";
  return "unknown";
}

/* Keys of a parsed command line worth having at hand. */
static int
cmdline_facts (json_object *bl, const char *raw, const char *from)
{
  CLEANUP_JSON json_object *args = h2k_linuxcfg_cmdline (raw, from);
  json_object *c = h2k_json_ensure_object (bl, "cmdline");
  static const char *const keys[] = {
    "root", "resume", "net.ifnames", "biosdevname", "rd.lvm.lv", NULL
  };

  if (args == NULL || c == NULL ||
      h2k_json_set_string (c, "raw", raw) == -1 ||
      h2k_json_set_string (c, "from", from) == -1)
    return -1;
  for (size_t i = 0; i < json_object_array_length (args); ++i) {
    json_object *a = json_object_array_get_idx (args, i);
    const char *k = h2k_json_get_string (a, "key");
    const char *v = h2k_json_get_string (a, "value");
    for (size_t j = 0; keys[j] && v; ++j)
      if (strcmp (k, keys[j]) == 0 && h2k_json_set_string (c, k, v) == -1)
        return -1;
  }
  return 0;
}

/* A BLS options line with GRUB's variables expanded from grubenv, as
 * GRUB does at boot: RHEL 8 writes "options $kernelopts $tuned_params"
 * and keeps root= in grubenv's kernelopts.  Unknown variables expand to
 * nothing.  The command line is then said to come from grubenv when
 * kernelopts was used, so that a risk names the file to fix.
 */
static int
bls_cmdline (json_object *bl, const char *options, const char *entry)
{
  json_object *env = h2k_json_get_object (bl, "grubenv");
  json_object *vars = h2k_json_get_object (env, "vars");
  const char *from = entry;
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  if (fp == NULL)
    return -1;
  for (const char *p = options; *p; ) {
    size_t n;
    const char *v;
    int brace = p[0] == '$' && p[1] == '{';

    if (*p != '$') {
      fputc (*p++, fp);
      continue;
    }
    p += 1 + brace;
    n = strspn (p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    CLEANUP_FREE char *name = strndup (p, n);
    p += n + (brace && p[n] == '}');
    if (name == NULL) {
      fclose (fp);
      return -1;
    }
    v = h2k_json_get_string (vars, name);
    if (v)
      fputs (v, fp);
    if (v && strcmp (name, "kernelopts") == 0)
      from = h2k_json_get_string (bl, "grubenv_path");
  }
  if (fclose (fp) != 0)
    return -1;
  return cmdline_facts (bl, buf, from);
}

/* The default boot entry's command line: grub.cfg's default entry, else
 * the first BLS entry, else /etc/default/grub's GRUB_CMDLINE_LINUX.
 */
static int
default_cmdline (json_object *bl)
{
  json_object *grub = h2k_json_get_object (bl, "grub_cfg");
  json_object *entries = h2k_json_get_array (grub, "entries");
  json_object *bls = h2k_json_get_array (bl, "bls_entries");
  json_object *vars = h2k_json_get_object (h2k_json_get_object (bl, "default_grub"), "vars");
  const char *def = h2k_json_get_string (grub, "default");
  size_t idx = def && def[0] >= '0' && def[0] <= '9' ? strtoul (def, NULL, 10) : 0;
  const char *cmd;

  if (entries && json_object_array_length (entries) > 0) {
    if (idx >= json_object_array_length (entries))
      idx = 0;
    cmd = h2k_json_get_string (json_object_array_get_idx (entries, idx), "cmdline");
    if (cmd)
      return cmdline_facts (bl, cmd, h2k_json_get_string (bl, "grub_cfg_path"));
  }
  if (bls && json_object_array_length (bls) > 0) {
    json_object *e = json_object_array_get_idx (bls, 0);
    cmd = h2k_json_get_string (e, "options");
    if (cmd)
      return bls_cmdline (bl, cmd, h2k_json_get_string (e, "path"));
  }
  cmd = h2k_json_get_string (vars, "GRUB_CMDLINE_LINUX");
  if (cmd)
    return cmdline_facts (bl, cmd, "/etc/default/grub");
  return 0;
}

static int
bls_entries (guestfs_h *g, json_object *bl)
{
  CLEANUP_FREE_STRV char **files = h2k_guest_glob (g, "/boot/loader/entries/*.conf");
  json_object *arr;

  if (files == NULL)
    return -1;
  if (files[0] == NULL)
    return 0;
  arr = h2k_json_ensure_array (bl, "bls_entries");
  for (size_t i = 0; arr && files[i]; ++i) {
    json_object *e = json_object_new_object ();
    if (h2k_json_array_add (arr, e) == -1 ||
        guest_parse_file (g, files[i], h2k_linuxcfg_bls, e, "entry") == -1)
      return -1;
    /* Flatten: {path, title, linux, options, ...}. */
    json_object *doc = json_object_get (h2k_json_get_object (e, "entry"));
    json_object_object_del (e, "entry");
    if (doc) {
      json_object_object_foreach (doc, k, v)
        if (h2k_json_set (e, k, json_object_get (v)) == -1) {
          json_object_put (doc);
          return -1;
        }
      json_object_put (doc);
    }
    if (h2k_json_set_string (e, "path", files[i]) == -1)
      return -1;
  }
  return arr ? 0 : -1;
}

static int
boot_config (guestfs_h *g, json_object *guest)
{
  json_object *bl = h2k_json_get_object (guest, "bootloader");

  for (size_t i = 0; grub_cfgs[i]; ++i) {
    if (!h2k_guest_is_file (g, grub_cfgs[i]))
      continue;
    if (guest_parse_file (g, grub_cfgs[i], h2k_linuxcfg_grub_cfg, bl, "grub_cfg") == -1 ||
        h2k_json_set_string (bl, "grub_cfg_path", grub_cfgs[i]) == -1)
      return -1;
    break;
  }
  for (size_t i = 0; grubenvs[i]; ++i) {
    if (!h2k_guest_is_file (g, grubenvs[i]))
      continue;
    if (guest_parse_file (g, grubenvs[i], h2k_linuxcfg_grubenv, bl, "grubenv") == -1 ||
        h2k_json_set_string (bl, "grubenv_path", grubenvs[i]) == -1)
      return -1;
    break;
  }
  if (guest_parse_file (g, "/etc/default/grub", h2k_linuxcfg_shellvars, bl,
                        "default_grub") == -1 ||
      bls_entries (g, bl) == -1)
    return -1;
  return default_cmdline (bl);
}

int
inspect_boot (guestfs_h *g, json_object *guest)
{
  if (inspect_bootloader (g, guest) == -1 ||
      boot_config (g, guest) == -1 ||
      inspect_kernels (g, guest) == -1 ||
      h2k_json_set_string (guest, "initramfs_tool", initramfs_tool (g)) == -1)
    return -1;
  return 0;
}
