/* h2k: working inside the guest through libguestfs (shared by
 * h2k-inspect, the fixers and h2k-validate): the one appliance launch,
 * mounting, quiet probes, reading files, the init system, initramfs
 * contents.
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
 * for writing.  Each image is confined first (confine.h).  NULL reported.
 */
guestfs_h *h2k_guest_launch (json_object *m, int mode);

/* An image for h2k_guest_launch_images: its path and its format as the
 * manifest spells it ("vmdk", "qcow2", ...).
 */
struct h2k_guest_image {
  const char *path;
  const char *format;
};

/* The launch itself, for images the caller has already chosen and
 * checked (h2k-validate's throwaway overlays): the N images added in
 * order, read-only unless MODE is H2K_GUEST_RW (then discards reach the
 * images), and one progress line naming WHAT was opened ("throwaway
 * overlays read-write").  NULL reported.
 */
guestfs_h *h2k_guest_launch_images (const struct h2k_guest_image *imgs,
                                    size_t n, int mode, const char *what);

/* The manifest disk id for an appliance device or partition ("/dev/sdb2"
 * -> "disk1"), or NULL.
 */
const char *h2k_guest_disk_id (guestfs_h *g, json_object *m, const char *dev);

/* Mount ROOT's filesystems as its fstab would, shortest mountpoint first
 * (read-only unless MODE is H2K_GUEST_RW).  A filesystem that will not
 * mount is a warning.  -1 reported.
 */
int h2k_guest_mount (guestfs_h *g, const char *root, int mode);

/* The init system of the guest mounted at /: "systemd", "openrc",
 * "upstart", "sysvinit" (an /etc/inittab) or "unknown".  A quiet probe,
 * never an error.
 */
const char *h2k_guest_init_system (guestfs_h *g);

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
