/* h2k: keep the files that image metadata names inside the image's
 * directory.
 *
 * A disk image names other files: VMDK extents and parentFileNameHint,
 * qcow2 backing files and external data files, VHD/VHDX parent locators.
 * That metadata comes from whoever made the image (an OVA off the net, a
 * guest that rewrote its own header), so a name such as "/etc/shadow" or
 * "../../etc/shadow" must never make us, or qemu, read a host file into
 * the output disk.  The rule, for every tool:
 *
 *   a named file must resolve (symbolic links followed) inside the
 *   directory of the file that names it, or inside a directory the admin
 *   allowed (--allow-disk-dir, never "/"); so must the directory qemu
 *   resolves that file's own names against.  It must be a regular file;
 *   block and character devices only with --allow-devices; FIFOs,
 *   sockets and directories never.
 *
 * h2k_confine_path checks one name; h2k_confine_image walks every name an
 * image (and what it names, as qemu would follow it) holds; the tools
 * call h2k_confine_disk before qemu opens a manifest's disk.
 */
#ifndef H2K_CONFINE_H
#define H2K_CONFINE_H

#include <json-c/json.h>

/* At most this many images in a chain we walk (VMware's limit is 255). */
#define H2K_CONFINE_MAX_DEPTH 255
/* Longest qcow2 backing or data file name we read (qemu's is 1023). */
#define H2K_CONFINE_MAX_NAME 4096

/* The policy (process-wide; set from the common options).
 *
 * Allow files under DIR too.  DIR must be absolute, exist and be a
 * directory, and must not resolve to "/".  Returns 0, or -1 reported as
 * "--allow-disk-dir: DIR: why".
 */
int h2k_confine_allow_dir (const char *dir);

/* Allow block and character devices as disk files. */
void h2k_confine_allow_devices (int yes);

/* Forget the policy (frees the allowed directories). */
void h2k_confine_reset (void);

/* Check the file NAMED, written in the metadata field FIELD of the image
 * NAMING_FILE (an absolute path): relative names are taken against
 * NAMING_FILE's directory, joined as qemu joins them (h2k_path_join_raw:
 * "L/../x" goes through the link L).  On success *PATH (if PATH is not
 * NULL) gets the path as it will be opened (that join, symbolic links
 * not resolved), which the caller frees.  Returns 0, or -1 reported as one line:
 *   "NAMING_FILE: FIELD \"NAMED\": why".
 */
int h2k_confine_path (const char *naming_file, const char *field,
                      const char *named, char **path);

/* h2k_confine_path for the extent NAMED of the VMDK descriptor
 * NAMING_FILE; then, if that extent is a sparse one, it must not be one
 * qemu reads as a descriptor in turn (capacity 0 and an embedded
 * descriptor, vmdk.h).  Returns 0, or -1 reported.
 */
int h2k_confine_extent (const char *naming_file, const char *named);

/* Walk every file the image PATH in FORMAT (ours: "vmdk", "qcow2", ...;
 * NULL: what its magic says, as qemu would probe it) names, as qemu opens
 * them: VMDK extents and parentFileNameHint, qcow2 backing and external
 * data files, recursively, reading only headers and descriptors (never
 * running qemu, never opening a FIFO).  Each must pass h2k_confine_path.
 * A parent that does not exist is not followed (qemu cannot open it;
 * h2k-flatten finds such parents beside the child, confined too), nor is
 * a Windows drive path ("C:\..."; "\\h\..." is a relative name on
 * Linux, confined as any).  A backing file named by a protocol ("nbd:",
 * "json:") is refused.  A VMDK's parent is the one qemu finds (the first
 * "parentFileNameHint" in the raw descriptor area, comments included);
 * one that differs from the parsed descriptor's is refused, and so is a
 * sparse file of capacity 0 with an embedded descriptor (qemu would open
 * that descriptor's extents), as the file or as an extent.  VHD and VHDX parents are not followed: qemu never opens
 * them (h2k-flatten confines them itself).
 *
 * TRUSTED, if not NULL, is one backing file that PATH (a qcow2) may name
 * wherever it is: h2k-inspect's overlay in the workdir is backed by the
 * recorded current image.  That image is then walked in turn.
 * Returns 0, or -1 reported.
 */
int h2k_confine_image (const char *path, const char *format,
                       const char *trusted);

/* h2k_confine_image for the image KEY ("current", "overlay", "output")
 * of DISK (index I of the manifest's disks, for messages); an overlay
 * may be backed by the file its "backing" field records.  Returns 0, or
 * -1 reported.
 */
int h2k_confine_disk (json_object *disk, size_t i, const char *key);

#endif
