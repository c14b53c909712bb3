/* h2k: VMDK descriptors.
 *
 * A VMDK's descriptor is either a small text file (monolithicFlat,
 * twoGbMaxExtent*, vmfs, vmfsSparse, ...) or embedded in a hosted sparse
 * extent, whose "KDMV" header gives its place (descriptorOffset and
 * descriptorSize, in sectors).  The parsers here are pure functions over
 * a buffer; h2k_vmdk_read_descriptor does the file I/O.
 *
 * The input is hostile: every size is limited (H2K_VMDK_MAX_*), and an
 * error names the file, the line and the field:
 *   "NAME: line 4: parentCID: "xyz" is not a hexadecimal CID".
 */
#ifndef H2K_VMDK_H
#define H2K_VMDK_H

#include <stddef.h>
#include <stdint.h>

/* Limits against hostile input. */
#define H2K_VMDK_MAX_DESCRIPTOR (4u << 20)  /* bytes of descriptor text */
#define H2K_VMDK_MAX_LINE       8192        /* bytes in one line */
#define H2K_VMDK_MAX_VALUE      4096        /* bytes in one value (a path) */
#define H2K_VMDK_MAX_EXTENTS    32768       /* 62 TiB in 2 GiB extents */

/* parentCID of a VMDK without a parent. */
#define H2K_VMDK_NO_PARENT 0xffffffffu

struct h2k_vmdk_extent {
  char access[9];               /* "RW", "RDONLY" or "NOACCESS" */
  char type[11];                /* "FLAT", "SPARSE", "ZERO", "VMFS", ... */
  uint64_t sectors;             /* size in 512-byte sectors */
  char *file;                   /* file name as written, NULL for ZERO */
  uint64_t offset;              /* FLAT/VMFS: first sector in the file */
};

struct h2k_vmdk_descriptor {
  unsigned version;             /* version=, 0 if absent */
  uint32_t cid;                 /* CID= */
  uint32_t parent_cid;          /* parentCID=, H2K_VMDK_NO_PARENT if none */
  char *create_type;            /* createType=, never NULL after a parse */
  char *parent_hint;            /* parentFileNameHint=, or NULL */
  char *encoding;               /* encoding=, or NULL */
  struct h2k_vmdk_extent *extents;
  size_t nr_extents;            /* at least 1 */
  uint64_t sectors;             /* sum of the extents' sizes */
  int embedded;                 /* read from a sparse extent's header */
};

/* The header of a hosted sparse extent ("KDMV"), little-endian on disk. */
struct h2k_vmdk_sparse_header {
  uint32_t version;
  uint32_t flags;
  uint64_t capacity;            /* sectors */
  uint64_t grain_size;          /* sectors */
  uint64_t desc_offset;         /* sectors, 0 if no embedded descriptor */
  uint64_t desc_size;           /* sectors */
  uint16_t compress_algorithm;
};

#define H2K_VMDK_SPARSE_MAGIC "KDMV"
#define H2K_VMDK_COWD_MAGIC   "COWD"    /* ESX vmfsSparse extent */

/* Parse the descriptor text BUF (LEN bytes; it need not be NUL-
 * terminated; parsing stops at the first NUL, as in the padded area of an
 * embedded descriptor).  NAME prefixes messages.  On success fills *D,
 * which the caller frees with h2k_vmdk_descriptor_free; on error *D is
 * left empty and -1 is returned, reported.
 *
 * Checks: CID and createType present, at most one of each key we use,
 * hexadecimal CIDs, a parentFileNameHint iff parentCID is not ffffffff,
 * at least one extent, known extent access modes and types, sizes that
 * do not overflow, every limit above.
 */
int h2k_vmdk_parse_descriptor (const char *buf, size_t len, const char *name,
                               struct h2k_vmdk_descriptor *d);

void h2k_vmdk_descriptor_free (struct h2k_vmdk_descriptor *d);

#define CLEANUP_VMDK_DESCRIPTOR \
  __attribute__((cleanup (h2k_vmdk_descriptor_free)))

/* Parse a sparse extent header from BUF (at least 512 bytes, LEN).
 * Returns 0, or -1 reported when the magic is wrong or the descriptor
 * offset/size are out of bounds or over H2K_VMDK_MAX_DESCRIPTOR.
 */
int h2k_vmdk_parse_sparse_header (const void *buf, size_t len,
                                  const char *name,
                                  struct h2k_vmdk_sparse_header *h);

/* Does the sparse header H make qemu read its embedded descriptor as a
 * whole descriptor file (capacity 0 and a descriptorOffset), opening the
 * extents it names instead of the file itself?  h2k refuses such a
 * file: h2k_vmdk_read_descriptor reports it, and the confinement walk
 * checks every sparse extent for it.
 */
int h2k_vmdk_sparse_is_descriptor (const struct h2k_vmdk_sparse_header *h);

/* Read and parse the descriptor of the VMDK file PATH: the embedded one
 * if PATH starts with a sparse header, otherwise PATH as a text
 * descriptor.  A file that is neither (an ESX "COWD" delta extent, a
 * binary file, one larger than H2K_VMDK_MAX_DESCRIPTOR), or a sparse
 * extent of capacity 0 with an embedded descriptor
 * (h2k_vmdk_sparse_is_descriptor), is an error naming it.  *D as for h2k_vmdk_parse_descriptor.
 */
int h2k_vmdk_read_descriptor (const char *path, struct h2k_vmdk_descriptor *d);

/* Format a CID as 8 lowercase hex digits into BUF[9]. */
void h2k_vmdk_cid_string (uint32_t cid, char buf[9]);

#endif
