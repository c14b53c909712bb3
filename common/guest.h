/* h2k: working inside the guest through libguestfs (shared by
 * h2k-inspect and the fixers).
 */
#ifndef H2K_GUEST_H
#define H2K_GUEST_H

#include <stddef.h>

#include <guestfs.h>
#include <json-c/json.h>

enum {
  H2K_GUEST_RO = 0,             /* open every disk read-only */
  H2K_GUEST_RW = 1,             /* open the overlays read-write */
};

/* A launched appliance with every disk of manifest M added, in the
 * manifest's order (so the appliance's /dev/sda is disks[0]).  Read-only:
 * the overlay if there is one, else current.  Read-write: the overlay,
 * which must exist (run h2k-inspect first); nothing else is ever opened
 * for writing.  NULL reported.
 */
guestfs_h *h2k_guest_launch (json_object *m, int mode);

/* The manifest disk id for an appliance device or partition ("/dev/sdb2"
 * -> "disk1"), or NULL.
 */
const char *h2k_guest_disk_id (guestfs_h *g, json_object *m, const char *dev);

/* Mount ROOT's filesystems as its fstab would, shortest mountpoint first
 * (read-only unless MODE is H2K_GUEST_RW).  A filesystem that will not
 * mount is a warning.  -1 reported.
 */
int h2k_guest_mount (guestfs_h *g, const char *root, int mode);

/* Quiet probes: 1 or 0, never an error message. */
int h2k_guest_is_file (guestfs_h *g, const char *path);
int h2k_guest_is_dir (guestfs_h *g, const char *path);

/* The sha256 of PATH in the guest (hex, caller frees), or NULL when it is
 * not a file.
 */
char *h2k_guest_sha256 (guestfs_h *g, const char *path);

/* PATH with the case it has on the disk (NTFS through ntfs-3g is
 * case-sensitive, Windows is not); its last part may be missing.  NULL
 * (not reported) when a directory on the way is missing.  Caller frees.
 */
char *h2k_guest_case_path (guestfs_h *g, const char *path);

/* The text of PATH, NUL-terminated; NULL (not reported) when it is
 * missing, unreadable, larger than MAX or not text.  Caller frees.
 */
char *h2k_guest_read_text (guestfs_h *g, const char *path, size_t max);

/* glob(7) in the guest; an empty list when nothing matches.  Caller frees
 * (h2k_free_strv).  NULL reported.
 */
char **h2k_guest_glob (guestfs_h *g, const char *pattern);

/* The initramfs of kernel VERSION by each distro family's naming
 * (/boot/initrd.img-V, /boot/initramfs-V.img, /boot/initrd-V), or NULL
 * when there is none (or out of memory).  Caller frees.
 */
char *h2k_guest_find_initramfs (guestfs_h *g, const char *version);

/* The kernel modules the initramfs PATH in the guest holds (names without
 * .ko and compression suffix), listed by lsinitramfs on the host.  Caller
 * frees (h2k_free_strv).  NULL reported.
 */
char **h2k_guest_initramfs_modules (guestfs_h *g, const char *path);

#endif
