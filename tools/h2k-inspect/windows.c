/* h2k-inspect: Windows guests, the part that needs the appliance.
 *
 * The SYSTEM and SOFTWARE hives are downloaded into a private temporary
 * directory and read with hivex (windows-registry.c).  Then, with C:
 * still mounted, hiberfil.sys and the NTFS state of every NTFS volume
 * (ntfs-3g.probe --readwrite: 14 hibernated, 15 unclean); BitLocker
 * volumes from their blkid type; and last the boot files, mounting the
 * ESP and the NTFS volumes one at a time on /; then the guest's
 * filesystems are mounted again as they were.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "h2k.h"
#include "inspect.h"
#include "windows.h"

/* ntfs-3g.probe's exit codes (ntfs-3g's include/ntfs-3g/volume.h). */
#define NTFS_VOLUME_OK               0
#define NTFS_VOLUME_HIBERNATED      14
#define NTFS_VOLUME_UNCLEAN_UNMOUNT 15

/* A private directory for the hives, removed with what it holds. */
struct hive_dir {
  char path[4096];
  char *files[2];
};

static void
hive_dir_cleanup (struct hive_dir *d)
{
  for (size_t i = 0; i < 2; ++i)
    if (d->files[i]) {
      unlink (d->files[i]);
      free (d->files[i]);
    }
  if (*d->path)
    rmdir (d->path);
}

/* Download the guest's hive REMOTE into D as NAME; open it. */
static hive_h *
fetch_hive (guestfs_h *g, struct hive_dir *d, int i, const char *remote,
            const char *name)
{
  if (asprintf (&d->files[i], "%s/%s", d->path, name) == -1) {
    d->files[i] = NULL;
    h2k_error ("out of memory");
    return NULL;
  }
  if (guestfs_download (g, remote, d->files[i]) == -1)
    return NULL;
  h2k_debug ("%s -> %s", remote, d->files[i]);
  return h2k_winreg_open (d->files[i], remote,
                          h2k_verbose ? HIVEX_OPEN_VERBOSE : 0);
}

static int
read_hives (guestfs_h *g, const char *root, json_object *win)
{
  __attribute__((cleanup (hive_dir_cleanup))) struct hive_dir d = { "", { NULL, NULL } };
  CLEANUP_FREE char *sys_path = guestfs_inspect_get_windows_system_hive (g, root);
  CLEANUP_FREE char *sw_path = guestfs_inspect_get_windows_software_hive (g, root);
  CLEANUP_HIVEX hive_h *sys = NULL;
  CLEANUP_HIVEX hive_h *sw = NULL;
  const char *tmp = getenv ("TMPDIR");

  if (sys_path == NULL || sw_path == NULL)
    return -1;
  if (tmp == NULL || *tmp == 0)
    tmp = "/tmp";
  if (snprintf (d.path, sizeof d.path, "%s/h2k-hives.XXXXXX", tmp) >= (int) sizeof d.path ||
      mkdtemp (d.path) == NULL) {
    h2k_error ("%s: cannot create a temporary directory: %m", d.path);
    *d.path = 0;
    return -1;
  }
  sys = fetch_hive (g, &d, 0, sys_path, "SYSTEM");
  sw = sys ? fetch_hive (g, &d, 1, sw_path, "SOFTWARE") : NULL;
  if (sw == NULL ||
      h2k_json_set_string (win, "system_hive", sys_path) == -1 ||
      h2k_json_set_string (win, "software_hive", sw_path) == -1 ||
      win_read_system (sys, win) == -1 ||
      win_read_software (sw, win) == -1)
    return -1;
  return 0;
}

/* PATH in the mounted guest, in the case it really has, or NULL. */
static char *
real_path (guestfs_h *g, const char *path)
{
  char *p = h2k_guest_case_path (g, path);

  if (p && !h2k_guest_is_file (g, p)) {
    free (p);
    p = NULL;
  }
  return p;
}

/* hiberfil.sys at the root of C: and the signature of its header:
 * "hibr"/"HIBR" (hibernated or Fast Startup), "wake", or zeros after a
 * resume.
 */
static int
hiberfil (guestfs_h *g, json_object *hib)
{
  CLEANUP_FREE char *p = real_path (g, "/hiberfil.sys");
  CLEANUP_FREE char *head = NULL;
  char sig[5] = "";
  size_t n = 0;

  if (h2k_json_set_bool (hib, "hiberfil", p != NULL) == -1)
    return -1;
  if (p == NULL)
    return 0;
  guestfs_push_error_handler (g, NULL, NULL);
  head = guestfs_pread (g, p, 4, 0, &n);
  guestfs_pop_error_handler (g);
  for (size_t i = 0; head && i < n && i < 4; ++i)
    sig[i] = head[i] >= 0x20 && head[i] < 0x7f ? head[i] : '.';
  if (h2k_json_set_string (hib, "hiberfil_signature", sig) == -1)
    return -1;
  if (strcasecmp (sig, "hibr") == 0)
    return h2k_json_set_bool (hib, "hibernated", 1);
  return 0;
}

static const char *
ntfs_state (int r, char buf[32])
{
  switch (r) {
  case NTFS_VOLUME_OK: return "clean";
  case NTFS_VOLUME_HIBERNATED: return "hibernated";
  case NTFS_VOLUME_UNCLEAN_UNMOUNT: return "unclean";
  default:
    snprintf (buf, 32, "probe-exit-%d", r);
    return buf;
  }
}

/* The NTFS state of every NTFS volume; BitLocker volumes. */
static int
volumes (guestfs_h *g, char **fss, json_object *hib, json_object *bl)
{
  json_object *nt = h2k_json_ensure_array (hib, "ntfs");
  json_object *enc = h2k_json_ensure_array (bl, "volumes");

  if (nt == NULL || enc == NULL)
    return -1;
  for (size_t i = 0; fss[i] && fss[i + 1]; i += 2) {
    json_object *o;
    char buf[32];
    int r;

    if (strcasecmp (fss[i + 1], "BitLocker") == 0 && h2k_json_array_add_string (enc, fss[i]) == -1)
      return -1;
    if (strcmp (fss[i + 1], "ntfs") != 0)
      continue;
    guestfs_push_error_handler (g, NULL, NULL);
    r = guestfs_ntfs_3g_probe (g, 1, fss[i]);
    guestfs_pop_error_handler (g);
    o = json_object_new_object ();
    if (h2k_json_array_add (nt, o) == -1)
      return -1;
    if (h2k_json_set_string (o, "device", fss[i]) == -1 ||
        h2k_json_set_string (o, "state", r < 0 ? "unknown" : ntfs_state (r, buf)) == -1 ||
        (r == NTFS_VOLUME_HIBERNATED && h2k_json_set_bool (hib, "hibernated", 1) == -1))
      return -1;
  }
  return 0;
}

/* Look for the boot files on DEV (mounted on /). */
static int
boot_files (guestfs_h *g, const char *dev, int is_esp, json_object *boot)
{
  static const char *const bcds[] = { "/EFI/Microsoft/Boot/BCD", "/Boot/BCD" };
  CLEANUP_FREE char *bcd = real_path (g, bcds[is_esp ? 0 : 1]);
  CLEANUP_FREE char *mgr = real_path (g, is_esp ? "/EFI/Microsoft/Boot/bootmgfw.efi"
                                                : "/bootmgr");
  CLEANUP_FREE char *fb = is_esp ? real_path (g, "/EFI/Boot/bootx64.efi") : NULL;

  if (bcd && h2k_json_get_string (boot, "bcd") == NULL &&
      (h2k_json_set_string (boot, "bcd", bcd) == -1 ||
       h2k_json_set_string (boot, "bcd_device", dev) == -1))
    return -1;
  if (mgr && h2k_json_get_string (boot, "bootmgr") == NULL &&
      (h2k_json_set_string (boot, "bootmgr", mgr) == -1 ||
       h2k_json_set_string (boot, "bootmgr_device", dev) == -1))
    return -1;
  if (is_esp && h2k_json_set_bool (boot, "efi_fallback", fb != NULL) == -1)
    return -1;
  return 0;
}

/* Mount each candidate boot volume on / in turn: the ESP, then the NTFS
 * volumes (System Reserved, or C: itself).
 */
static int
find_boot (guestfs_h *g, char **fss, json_object *guest, json_object *win)
{
  const char *esp = h2k_json_get_string (h2k_json_get_object (guest, "firmware"), "esp");
  const char *kind = h2k_json_get_string (h2k_json_get_object (guest, "firmware"), "kind");
  json_object *boot = h2k_json_ensure_object (win, "boot");

  if (boot == NULL || guestfs_umount_all (g) == -1 ||
      h2k_json_set_string (boot, "firmware", kind ? kind : "bios") == -1)
    return -1;
  for (size_t i = 0; fss[i] && fss[i + 1]; i += 2) {
    int is_esp = esp && strcmp (fss[i], esp) == 0;
    int r;

    if (!is_esp && strcmp (fss[i + 1], "ntfs") != 0)
      continue;
    guestfs_push_error_handler (g, NULL, NULL);
    r = guestfs_mount_ro (g, fss[i], "/");
    guestfs_pop_error_handler (g);
    if (r == -1) {
      h2k_warning ("%s: cannot mount it to look for boot files", fss[i]);
      continue;
    }
    r = boot_files (g, fss[i], is_esp, boot);
    if (guestfs_umount_all (g) == -1 || r == -1)
      return -1;
  }
  return 0;
}

int
inspect_windows (guestfs_h *g, const char *root, json_object *guest)
{
  CLEANUP_FREE_STRV char **fss = guestfs_list_filesystems (g);
  CLEANUP_FREE char *sysroot = guestfs_inspect_get_windows_systemroot (g, root);
  json_object *win = h2k_json_ensure_object (guest, "windows");
  json_object *hib = h2k_json_ensure_object (win, "hibernation");
  json_object *bl = h2k_json_ensure_object (win, "bitlocker");

  if (fss == NULL || sysroot == NULL || win == NULL || hib == NULL || bl == NULL)
    return -1;
  if (h2k_json_set_string (win, "system_root_path", sysroot) == -1 ||
      h2k_json_set_bool (hib, "hibernated", 0) == -1 ||
      read_hives (g, root, win) == -1 ||
      hiberfil (g, hib) == -1 ||
      volumes (g, fss, hib, bl) == -1 ||
      find_boot (g, fss, guest, win) == -1 ||
      h2k_guest_mount (g, root, H2K_GUEST_RO) == -1)
    return -1;
  return 0;
}
