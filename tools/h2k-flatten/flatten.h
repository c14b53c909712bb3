/* h2k-flatten: shared between its files.
 *
 * main.c reads the manifest and, for each disk, calls chain_resolve
 * (chain.c) on disks[].current, then records the chain and the plan
 * (record.c) and, unless --dry-run, collapses a chain of more than one
 * image into <workdir>/<id>-flat.qcow2 (collapse.c).  Each image format
 * has its own step in node-*.c, which fills one node and names its
 * parent.  qemu cannot read VHD or VHDX differencing disks as chains:
 * they are merged by vhd-merge.c (and vhdx-merge.c) before the final
 * conversion.
 */
#ifndef H2K_FLATTEN_H
#define H2K_FLATTEN_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Chains deeper than this are refused (VMware's own limit is 255). */
#define FLATTEN_MAX_DEPTH 255

/* One image of a chain. */
struct node {
  char *path;                   /* absolute */
  const char *format;           /* ours: "vmdk", "qcow2", "vhd", ... (static) */
  char *subformat;              /* createType, VHD disk type, or NULL */
  uint64_t virtual_size;
  char *cid;                    /* VMDK CID / VHD unique id, or NULL */
  char *parent_cid;             /* what it says its parent's is, or NULL */
  char *parent_hint;            /* the parent's name as written, or NULL */
  dev_t dev;                    /* for loop detection */
  ino_t ino;
  /* Filled by the node step for the next one: */
  char *parent_path;            /* resolved, absolute; NULL: this is the base */
  const char *parent_format;    /* format of parent_path */
  const char *parent_field;     /* where the name came from, for messages */
};

struct chain {
  struct node *nodes;           /* [0] the image the VM used, last the base */
  size_t n;
};

/* chain.c: resolve and verify the chain starting at PATH (absolute) in
 * FORMAT.  Every parent present and readable, no loop, depth at most
 * FLATTEN_MAX_DEPTH, no child smaller than its parent, CIDs matching.
 * Fills *C (free with chain_free).  0, or -1 reported.
 */
int chain_resolve (const char *path, const char *format, struct chain *c);
void chain_free (struct chain *c);

#define CLEANUP_CHAIN __attribute__((cleanup (chain_free)))

/* node-vmdk.c, node-qemu.c, node-vhd.c (VHD and VHDX): fill N (path, format, dev/ino
 * already set) and its parent_path/parent_format.  0, or -1 reported.
 */
int node_vmdk (struct node *n);
int node_qemu (struct node *n);
int node_vhd (struct node *n);
int node_vhdx (struct node *n);

/* node-qemu.c: `qemu-img info -f FORMAT` of PATH (never probing, never
 * opening its backing file): its virtual size.  0, or -1 reported.
 */
int qemu_virtual_size (const char *path, const char *format, uint64_t *size);

/* probe.c: the format a backing file without an explicit format would be
 * probed as, by its magic, if that is safe: "qcow2", "vmdk", "vhd",
 * "vhdx", "vdi"; or NULL when it would be probed as raw (never allowed).
 * -1 reported on I/O error, else 0 with *FORMAT set.
 */
int probe_safe_format (const char *path, const char **format);

/* Resolve a parent's name as written in CHILD's FIELD (CHILD an absolute
 * path): relative names against CHILD's directory.  With ALLOW_BESIDE, an
 * absolute name that does not exist (written on the source host:
 * /vmfs/volumes/..., C:\...) is tried as the same file name beside
 * CHILD, and an info line says so.  The parent found must be confined
 * (common/confine.h: inside CHILD's directory or an allowed one, a
 * regular file): an absolute name that exists elsewhere is refused, not
 * looked for beside CHILD.  Returns a string the caller frees, or NULL
 * reported (naming CHILD and FIELD) when no candidate exists or it is
 * refused.
 */
char *resolve_parent (const char *child, const char *hint, const char *field,
                      int allow_beside);

/* The same without the not-found error: NULL with errno ENOENT when not
 * found (other errors, a refused parent included, are reported).
 */
char *try_parent (const char *child, const char *hint, const char *field,
                  int allow_beside);

/* collapse.c: convert the chain into a qcow2 at DEST (published
 * atomically); PROGRESS shows qemu-img's progress.  0, or -1 reported.
 */
int collapse (const struct chain *c, const char *dest, int progress);

/* vhd-merge.c: the index of the first differencing VHD or VHDX of C
 * (everything behind it is of the same format), or C->n if there is none.
 */
size_t vhd_diff_start (const struct chain *c);

/* vhd-merge.c: merge nodes TOP (a differencing VHD or VHDX) to the base of C
 * into a new sparse raw file beside DEST, of TOP's virtual size.  Returns
 * its name (the caller unlinks and frees it), or NULL reported (nothing
 * left behind).
 */
char *vhd_merge (const struct chain *c, size_t top, const char *dest);

/* vhd-merge.c: copy LEN bytes at DATA in N (open on FD) to VSTART in
 * the raw file RAW (open on RAW_FD), through BUF (COPY_CHUNK bytes).
 * 0, or -1 reported.
 */
#define COPY_CHUNK (1u << 20)
int copy_run (const struct node *n, int fd, uint64_t data, uint64_t vstart,
              uint64_t len, int raw_fd, const char *raw, unsigned char *buf);

/* vhdx-merge.c: write the data differencing VHDX N holds over the raw
 * file RAW (open on RAW_FD, RAW_SIZE bytes), within N's virtual size.
 * 0, or -1 reported.
 */
int vhdx_apply_diff (const struct node *n, int raw_fd, const char *raw,
                     uint64_t raw_size);

/* record.c: disks[].chain as JSON (caller owns it), and the plan on
 * stderr.
 */
json_object *chain_to_json (const struct chain *c);
void chain_print (const char *disk_id, const struct chain *c);

#endif
