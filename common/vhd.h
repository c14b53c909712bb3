/* h2k: VHD (Virtual PC / Hyper-V) footers, dynamic headers and parent
 * locators.
 *
 * The parsers are pure functions over buffers, big-endian on disk as the
 * format says; h2k_vhd_read does the file I/O.  Input is hostile: the
 * checksums are verified, every offset is checked against the file size
 * and locator data is limited to H2K_VHD_MAX_LOCATOR bytes.
 *
 * qemu's "vpc" driver reads a differencing VHD as if it had no parent
 * (only the blocks the child holds), so a caller must look at
 * footer.disk_type before handing a VHD to qemu-img.
 */
#ifndef H2K_VHD_H
#define H2K_VHD_H

#include <stddef.h>
#include <stdint.h>

#define H2K_VHD_FOOTER_SIZE     512
#define H2K_VHD_DYN_HEADER_SIZE 1024
#define H2K_VHD_NR_LOCATORS     8
#define H2K_VHD_MAX_LOCATOR     65536   /* bytes of one locator's data */

enum {
  H2K_VHD_FIXED = 2,
  H2K_VHD_DYNAMIC = 3,
  H2K_VHD_DIFFERENCING = 4,
};

struct h2k_vhd_footer {
  uint32_t features;
  uint32_t version;
  uint64_t data_offset;         /* the dynamic header, ~0 for fixed disks */
  uint32_t timestamp;           /* seconds since 2000-01-01 00:00 UTC */
  char creator_app[5];          /* "win ", "qemu", "vpc ", ... */
  uint32_t creator_version;
  char creator_os[5];           /* "Wi2k", "Mac " */
  uint64_t original_size;
  uint64_t current_size;        /* the virtual size, bytes */
  uint32_t disk_type;           /* H2K_VHD_FIXED, _DYNAMIC, _DIFFERENCING */
  uint8_t uuid[16];
  uint8_t saved_state;
};

struct h2k_vhd_locator {
  char code[6];                 /* "W2ku", "W2ru", "Mac X", "Mac ", or "" */
  uint32_t data_space;
  uint32_t data_length;         /* bytes */
  uint64_t data_offset;         /* bytes from the start of the file */
};

struct h2k_vhd_dyn_header {
  uint64_t table_offset;
  uint32_t header_version;
  uint32_t max_table_entries;
  uint32_t block_size;
  uint8_t parent_uuid[16];
  uint32_t parent_timestamp;
  char parent_name[256 * 4 + 1];        /* UTF-8, from UTF-16BE */
  struct h2k_vhd_locator locators[H2K_VHD_NR_LOCATORS];
};

/* Parse a footer (LEN >= 512): cookie "conectix", checksum, disk type.
 * 0, or -1 reported as "NAME: footer: field: problem".
 */
int h2k_vhd_parse_footer (const void *buf, size_t len, const char *name,
                          struct h2k_vhd_footer *f);

/* Parse a dynamic disk header (LEN >= 1024): cookie "cxsparse",
 * checksum, block size, the parent name and the locator table.
 */
int h2k_vhd_parse_dyn_header (const void *buf, size_t len, const char *name,
                              struct h2k_vhd_dyn_header *h);

/* Decode the data of locator L (LEN bytes at DATA) into a path: "W2ku"
 * (absolute) and "W2ru" (relative) are UTF-16LE Windows paths, returned
 * as written (with backslashes); "Mac X" is a file:// URL, returned as a
 * path.  Returns a string the caller frees, or NULL reported.
 */
char *h2k_vhd_decode_locator (const struct h2k_vhd_locator *l,
                              const void *data, size_t len, const char *name);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", the bytes in disk order. */
void h2k_vhd_uuid_string (const uint8_t uuid[16], char buf[37]);

/* The block allocation table (BAT) of a dynamic or differencing disk:
 * one big-endian sector number per block, H2K_VHD_BAT_UNUSED for a block
 * not allocated.  A block on disk is its sector bitmap (one bit a
 * sector, most significant bit first, rounded up to whole sectors), then
 * block_size bytes of data.  Hostile-input limits: block size a power of
 * two from H2K_VHD_MIN_BLOCK to H2K_VHD_MAX_BLOCK, at most
 * H2K_VHD_MAX_BAT_ENTRIES entries, every allocated block within the file.
 */
#define H2K_VHD_BAT_UNUSED      0xffffffffu
#define H2K_VHD_MIN_BLOCK       (512u << 10)
#define H2K_VHD_MAX_BLOCK       (256u << 20)
#define H2K_VHD_MAX_BAT_ENTRIES (1u << 22)      /* 2 TiB of 512 KiB blocks */

/* Bytes of the sector bitmap in front of each block of BLOCK_SIZE bytes. */
uint32_t h2k_vhd_bitmap_size (uint32_t block_size);

/* Check H's block size and table size against the limits and VIRTUAL_SIZE,
 * then parse H->max_table_entries entries (4 bytes each, LEN bytes at BUF)
 * into BAT (host order; the caller's array of that many), checking that
 * every allocated block lies within FILE_SIZE bytes.  0, or -1 reported
 * as "NAME: BAT: ...".
 */
int h2k_vhd_parse_bat (const void *buf, size_t len, const char *name,
                       const struct h2k_vhd_dyn_header *h,
                       uint64_t virtual_size, uint64_t file_size,
                       uint32_t *bat);

/* All of a VHD file's metadata. */
struct h2k_vhd_info {
  struct h2k_vhd_footer footer;
  int has_dyn;                  /* dynamic or differencing */
  struct h2k_vhd_dyn_header dyn;
  /* The decoded path of each locator that has one, or NULL. */
  char *locator_paths[H2K_VHD_NR_LOCATORS];
};

/* Read PATH's footer (at the end; the copy at offset 0 if the end one is
 * damaged), its dynamic header and its parent locators.  Fills *INFO,
 * which the caller frees with h2k_vhd_info_free.  0, or -1 reported.
 */
int h2k_vhd_read (const char *path, struct h2k_vhd_info *info);
void h2k_vhd_info_free (struct h2k_vhd_info *info);

#define CLEANUP_VHD_INFO __attribute__((cleanup (h2k_vhd_info_free)))

/* Read the BAT of the dynamic or differencing disk open on FD (PATH, of
 * FILE_SIZE bytes, its metadata in INFO from h2k_vhd_read).  Returns a
 * new array of INFO->dyn.max_table_entries entries the caller frees, or
 * NULL reported.
 */
uint32_t *h2k_vhd_read_bat (int fd, const char *path, uint64_t file_size,
                            const struct h2k_vhd_info *info);

/* VHDX (Hyper-V 2012 and later).
 *
 * Only what a chain needs: the current header's DataWriteGuid (what a
 * child's parent_linkage names), the virtual size, the HasParent flag,
 * the parent locator's paths, and the BAT (to merge a differencing
 * disk).  Headers and region tables are chosen and
 * checked by their CRC-32C; the metadata table is bounded
 * (H2K_VHDX_MAX_ENTRIES).  Paths stay as written (Windows backslashes).
 */
#define H2K_VHDX_MAX_ENTRIES 2047

struct h2k_vhdx_info {
  uint64_t sequence;            /* of the header used */
  uint8_t data_write_guid[16];
  uint64_t virtual_size;
  uint32_t block_size;
  uint32_t logical_sector_size;
  int has_parent;
  int log_pending;              /* the header's LogGuid is set */
  uint64_t bat_offset;          /* the BAT region, 0 if the table has none */
  uint32_t bat_length;
  /* The parent locator's values, UTF-8, or NULL. */
  char *parent_linkage;
  char *parent_linkage2;
  char *relative_path;
  char *volume_path;
  char *absolute_win32_path;
};

/* Parse one 4 KiB header: 0 and *SEQ, *DATA_WRITE_GUID set; -1 if the
 * signature or checksum is wrong (reported only if REPORT).
 */
int h2k_vhdx_parse_header (const void *buf, size_t len, const char *name,
                           int report, uint64_t *seq, uint8_t data_write_guid[16]);

/* Parse a 64 KiB region table: the metadata region's offset and length.
 * A wrong signature or checksum is reported only if REPORT.
 */
int h2k_vhdx_parse_region_table (const void *buf, size_t len, const char *name,
                                 int report, uint64_t *meta_offset,
                                 uint32_t *meta_length);

/* In a region table that h2k_vhdx_parse_region_table accepted, the
 * region GUID ("{...}", lowercase): 0 and *OFFSET, *LENGTH set, or -1
 * (not reported) if the table has no such region.
 */
int h2k_vhdx_find_region (const void *buf, size_t len, const char *guid,
                          uint64_t *offset, uint32_t *length);

#define H2K_VHDX_GUID_BAT "{2dc27766-f623-4200-9d64-115e9bfd4a08}"

/* Parse the metadata region (LEN bytes) into *INFO (its metadata fields;
 * the caller frees the strings with h2k_vhdx_info_free).
 */
int h2k_vhdx_parse_metadata (const void *buf, size_t len, const char *name,
                             struct h2k_vhdx_info *info);

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", lowercase, from the on-disk
 * (little-endian first three fields) GUID.
 */
void h2k_vhdx_guid_string (const uint8_t g[16], char buf[39]);

/* CRC-32C (Castagnoli) of BUF, as VHDX checksums use. */
uint32_t h2k_crc32c (const void *buf, size_t len);

/* Read PATH: file identifier, current header, region table, metadata.
 * 0, or -1 reported.  Free *INFO with h2k_vhdx_info_free.
 */
int h2k_vhdx_read (const char *path, struct h2k_vhdx_info *info);
void h2k_vhdx_info_free (struct h2k_vhdx_info *info);

#define CLEANUP_VHDX_INFO __attribute__((cleanup (h2k_vhdx_info_free)))

/* The VHDX block allocation table: 64-bit little-endian entries, the
 * state in bits 0-2, the file offset in MiB in bits 20-63.  After every
 * chunk_ratio payload entries comes the entry of the chunk's sector
 * bitmap block (1 MiB, one bit a logical sector, least significant bit
 * first).  Hostile-input limits: block size a power of two from 1 MiB to
 * 256 MiB, logical sector 512 or 4096, at most H2K_VHDX_MAX_BAT_ENTRIES
 * entries, every present block within the file, a sector bitmap for
 * every chunk with a partially present block.
 */
enum {
  H2K_VHDX_PAYLOAD_NOT_PRESENT = 0,
  H2K_VHDX_PAYLOAD_UNDEFINED = 1,
  H2K_VHDX_PAYLOAD_ZERO = 2,
  H2K_VHDX_PAYLOAD_UNMAPPED = 3,
  H2K_VHDX_PAYLOAD_FULLY_PRESENT = 6,
  H2K_VHDX_PAYLOAD_PARTIALLY_PRESENT = 7,
  H2K_VHDX_SB_NOT_PRESENT = 0,
  H2K_VHDX_SB_PRESENT = 6,
};

#define H2K_VHDX_MIN_BLOCK       (1u << 20)
#define H2K_VHDX_MAX_BLOCK       (256u << 20)
#define H2K_VHDX_BITMAP_BLOCK    (1u << 20)
#define H2K_VHDX_MAX_BAT_ENTRIES (1u << 23)     /* 64 MiB of table */

#define H2K_VHDX_BAT_STATE(e)  ((unsigned) ((e) & 7))
#define H2K_VHDX_BAT_OFFSET(e) (((e) >> 20) << 20)

struct h2k_vhdx_geometry {
  uint64_t nr_blocks;           /* payload blocks covering the virtual size */
  uint32_t chunk_ratio;         /* payload blocks a sector bitmap covers */
  uint64_t nr_entries;          /* BAT entries, bitmap entries included */
};

/* Check INFO's block size, logical sector size and virtual size, and
 * fill *G.  0, or -1 reported as "NAME: metadata: ...".
 */
int h2k_vhdx_geometry (const struct h2k_vhdx_info *info, const char *name,
                       struct h2k_vhdx_geometry *g);

/* BAT index of payload block I, and of chunk C's sector bitmap. */
static inline uint64_t
h2k_vhdx_payload_index (uint64_t i, uint32_t chunk_ratio)
{
  return i + i / chunk_ratio;
}

static inline uint64_t
h2k_vhdx_bitmap_index (uint64_t c, uint32_t chunk_ratio)
{
  return (c + 1) * ((uint64_t) chunk_ratio + 1) - 1;
}

/* Parse G->nr_entries entries (LEN bytes at BUF) into BAT (host order,
 * the caller's array of that many), checking the states and that every
 * present block lies within FILE_SIZE bytes.  0, or -1 reported as
 * "NAME: BAT: block N: ..." (or "chunk N").
 */
int h2k_vhdx_parse_bat (const void *buf, size_t len, const char *name,
                        const struct h2k_vhdx_info *info,
                        const struct h2k_vhdx_geometry *g,
                        uint64_t file_size, uint64_t *bat);

/* Read and check the BAT of the VHDX open on FD (PATH, FILE_SIZE bytes,
 * INFO from h2k_vhdx_read), filling *G.  A VHDX whose log holds writes
 * not yet applied (LogGuid set) is refused: its BAT may be stale.  A
 * new array of G->nr_entries entries the caller frees, or NULL reported.
 */
uint64_t *h2k_vhdx_read_bat (int fd, const char *path, uint64_t file_size,
                             const struct h2k_vhdx_info *info,
                             struct h2k_vhdx_geometry *g);

#endif
