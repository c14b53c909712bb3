/* Unit tests: common/vhd.c, VHD footers, dynamic headers, locators;
 * VHDX headers, regions, metadata and BAT.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "byteorder.h"
#include "cleanup.h"
#include "error.h"
#include "vhd.h"

static const char *
corpus (void)
{
  const char *c = getenv ("H2K_CORPUS");
  return c ? c : SRCDIR "/../shared/corpus";
}

static int
error_is (const char *want)
{
  const char *e = h2k_first_error ();
  int ok = e && strstr (e, want) != NULL;

  if (!ok)
    printf ("# error \"%s\", wanted \"%s\"\n", e ? e : "(none)", want);
  h2k_clear_error ();
  return ok;
}

static void
set_checksum (unsigned char *b, size_t len, size_t at)
{
  uint32_t sum = 0;

  h2k_put_be32 (b + at, 0);
  for (size_t i = 0; i < len; ++i)
    sum += b[i];
  h2k_put_be32 (b + at, ~sum);
}

/* A footer of type TYPE, size 4 MiB, uuid 00 01 02 ... 0f. */
static void
make_footer (unsigned char *b, uint32_t type)
{
  memset (b, 0, 512);
  memcpy (b, "conectix", 8);
  h2k_put_be32 (b + 8, 2);
  h2k_put_be32 (b + 12, 0x00010000);
  h2k_put_be64 (b + 16, type == H2K_VHD_FIXED ? UINT64_MAX : 512);
  h2k_put_be32 (b + 24, 655986203);
  memcpy (b + 28, "win ", 4);
  memcpy (b + 36, "Wi2k", 4);
  h2k_put_be64 (b + 40, 4 << 20);
  h2k_put_be64 (b + 48, 4 << 20);
  h2k_put_be32 (b + 60, type);
  for (int i = 0; i < 16; ++i)
    b[68 + i] = i;
  set_checksum (b, 512, 64);
}

TEST (footer)
{
  unsigned char b[512];
  struct h2k_vhd_footer f;
  char u[37];

  make_footer (b, H2K_VHD_DIFFERENCING);
  CHECK (h2k_vhd_parse_footer (b, sizeof b, "d.vhd", &f) == 0);
  CHECK_INT (f.disk_type, H2K_VHD_DIFFERENCING);
  CHECK_INT (f.current_size, 4 << 20);
  CHECK_INT (f.data_offset, 512);
  CHECK_INT (f.timestamp, 655986203);
  CHECK_STR (f.creator_app, "win ");
  CHECK_STR (f.creator_os, "Wi2k");
  h2k_vhd_uuid_string (f.uuid, u);
  CHECK_STR (u, "00010203-0405-0607-0809-0a0b0c0d0e0f");

  b[100] ^= 1;
  CHECK (h2k_vhd_parse_footer (b, sizeof b, "d.vhd", &f) == -1);
  CHECK (error_is ("d.vhd: footer: checksum: "));
  make_footer (b, 5);
  CHECK (h2k_vhd_parse_footer (b, sizeof b, "d.vhd", &f) == -1);
  CHECK (error_is ("d.vhd: footer: disk type: 5 is not 2 (fixed), 3 (dynamic) or 4 (differencing)"));
  make_footer (b, 3);
  memcpy (b, "conectiy", 8);
  CHECK (h2k_vhd_parse_footer (b, sizeof b, "d.vhd", &f) == -1);
  CHECK (error_is ("d.vhd: footer: cookie: no \"conectix\""));
  make_footer (b, 3);
  h2k_put_be32 (b + 12, 0x00020000);
  set_checksum (b, 512, 64);
  CHECK (h2k_vhd_parse_footer (b, sizeof b, "d.vhd", &f) == -1);
  CHECK (error_is ("footer: version: 00020000 is not 1.x"));
  CHECK (h2k_vhd_parse_footer (b, 100, "d.vhd", &f) == -1);
  CHECK (error_is ("not a VHD"));
}

/* UTF-16 of an ASCII string, big- or little-endian. */
static size_t
utf16 (unsigned char *out, const char *s, int be)
{
  size_t n = 0;

  for (; *s; ++s, n += 2) {
    out[n + !be] = 0;
    out[n + be] = *s;
  }
  return n;
}

static void
make_dyn (unsigned char *b)
{
  memset (b, 0, 1024);
  memcpy (b, "cxsparse", 8);
  h2k_put_be64 (b + 8, UINT64_MAX);
  h2k_put_be64 (b + 16, 1536);
  h2k_put_be32 (b + 24, 0x00010000);
  h2k_put_be32 (b + 28, 2);
  h2k_put_be32 (b + 32, 2 << 20);
  for (int i = 0; i < 16; ++i)
    b[40 + i] = 0xf0 + i;
  h2k_put_be32 (b + 56, 12345);
  utf16 (b + 64, "parent.vhd", 1);
  memcpy (b + 576, "W2ku", 4);
  h2k_put_be32 (b + 576 + 4, 512);
  h2k_put_be32 (b + 576 + 8, 40);
  h2k_put_be64 (b + 576 + 16, 4096);
  memcpy (b + 600, "MacX", 4);
  h2k_put_be32 (b + 600 + 8, 30);
  h2k_put_be64 (b + 600 + 16, 8192);
  set_checksum (b, 1024, 36);
}

TEST (dyn_header)
{
  unsigned char b[1024];
  struct h2k_vhd_dyn_header h;
  char u[37];

  make_dyn (b);
  CHECK (h2k_vhd_parse_dyn_header (b, sizeof b, "d.vhd", &h) == 0);
  CHECK_INT (h.block_size, 2 << 20);
  CHECK_INT (h.max_table_entries, 2);
  CHECK_INT (h.table_offset, 1536);
  CHECK_INT (h.parent_timestamp, 12345);
  CHECK_STR (h.parent_name, "parent.vhd");
  h2k_vhd_uuid_string (h.parent_uuid, u);
  CHECK_STR (u, "f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff");
  CHECK_STR (h.locators[0].code, "W2ku");
  CHECK_INT (h.locators[0].data_length, 40);
  CHECK_INT (h.locators[0].data_offset, 4096);
  CHECK_STR (h.locators[1].code, "Mac X");
  CHECK_STR (h.locators[2].code, "");

  b[300] ^= 1;
  CHECK (h2k_vhd_parse_dyn_header (b, sizeof b, "d.vhd", &h) == -1);
  CHECK (error_is ("d.vhd: dynamic header: checksum: "));
  make_dyn (b);
  h2k_put_be32 (b + 32, 3000);
  set_checksum (b, 1024, 36);
  CHECK (h2k_vhd_parse_dyn_header (b, sizeof b, "d.vhd", &h) == -1);
  CHECK (error_is ("d.vhd: dynamic header: block size: 3000 is not a power of two"));
  make_dyn (b);
  memcpy (b, "cxsparsy", 8);
  CHECK (h2k_vhd_parse_dyn_header (b, sizeof b, "d.vhd", &h) == -1);
  CHECK (error_is ("dynamic header: cookie"));
  /* A lone surrogate is not UTF-16. */
  make_dyn (b);
  b[64] = 0xd8;
  b[65] = 0x00;
  b[66] = 0x00;
  b[67] = 0x41;
  set_checksum (b, 1024, 36);
  CHECK (h2k_vhd_parse_dyn_header (b, sizeof b, "d.vhd", &h) == -1);
  CHECK (error_is ("dynamic header: parent name: not valid UTF-16BE text"));
}

TEST (locators)
{
  struct h2k_vhd_locator w2ku = { .code = "W2ku" }, w2ru = { .code = "W2ru" };
  struct h2k_vhd_locator macx = { .code = "Mac X" }, mac = { .code = "Mac " };
  unsigned char buf[256];
  size_t n;
  char *p;

  n = utf16 (buf, "C:\\VMs\\base.vhd", 0);
  p = h2k_vhd_decode_locator (&w2ku, buf, n, "d.vhd");
  CHECK_STR (p, "C:\\VMs\\base.vhd");
  free (p);
  /* Trailing NULs of the locator's space are not part of the name. */
  n = utf16 (buf, ".\\base.vhd", 0);
  memset (buf + n, 0, 8);
  p = h2k_vhd_decode_locator (&w2ru, buf, n + 8, "d.vhd");
  CHECK_STR (p, ".\\base.vhd");
  free (p);
  p = h2k_vhd_decode_locator (&macx, "file://localhost/Users/a/My%20Disk.vhd", 38, "d.vhd");
  CHECK_STR (p, "/Users/a/My Disk.vhd");
  free (p);
  CHECK (h2k_vhd_decode_locator (&macx, "http://x/y", 10, "d.vhd") == NULL);
  CHECK (error_is ("d.vhd: parent locator Mac X: not a file:// URL"));
  CHECK (h2k_vhd_decode_locator (&mac, "xxxx", 4, "d.vhd") == NULL);
  CHECK (error_is ("d.vhd: parent locator Mac : unsupported platform code"));
  CHECK (h2k_vhd_decode_locator (&w2ku, buf, H2K_VHD_MAX_LOCATOR + 1, "d.vhd") == NULL);
  CHECK (error_is ("d.vhd: parent locator W2ku: data length 65537 out of range"));
  memset (buf, 0, 8);
  CHECK (h2k_vhd_decode_locator (&w2ku, buf, 8, "d.vhd") == NULL);
  CHECK (error_is ("d.vhd: parent locator W2ku: empty path"));
}

/* A whole file: footer copy at 0, dynamic header at 512, locator data,
 * footer at the end; then damage it.
 */
TEST (read_file)
{
  char path[] = "/tmp/h2k-test-vhd-XXXXXX";
  int fd = mkstemp (path);
  unsigned char foot[512], dyn[1024], loc[64];
  struct h2k_vhd_info in;
  size_t n;

  CHECK (fd >= 0);
  make_footer (foot, H2K_VHD_DIFFERENCING);
  make_dyn (dyn);
  n = utf16 (loc, "C:\\x\\parent.vhd", 0);
  h2k_put_be32 (dyn + 576 + 8, n);
  set_checksum (dyn, 1024, 36);
  CHECK (pwrite (fd, foot, 512, 0) == 512);
  CHECK (pwrite (fd, dyn, 1024, 512) == 1024);
  CHECK (pwrite (fd, loc, n, 4096) == (ssize_t) n);
  CHECK (pwrite (fd, "file:///tmp/parent.vhd", 22, 8192) == 22);
  CHECK (pwrite (fd, foot, 512, 8704) == 512);
  /* MacX data length 30 runs past what we wrote, into zeros: allowed. */
  CHECK (h2k_vhd_read (path, &in) == 0);
  CHECK (in.has_dyn);
  CHECK_STR (in.locator_paths[0], "C:\\x\\parent.vhd");
  CHECK_STR (in.locator_paths[1], "/tmp/parent.vhd");
  h2k_vhd_info_free (&in);

  /* The locator points past the end of the file. */
  h2k_put_be64 (dyn + 576 + 16, 1 << 20);
  set_checksum (dyn, 1024, 36);
  CHECK (pwrite (fd, dyn, 1024, 512) == 1024);
  CHECK (h2k_vhd_read (path, &in) == -1);
  CHECK (error_is ("parent locator: offset 1048576 lies beyond the end of the file"));
  /* No footer at the end: the copy at 0 is used. */
  make_dyn (dyn);
  CHECK (pwrite (fd, dyn, 1024, 512) == 1024);
  CHECK (pwrite (fd, "xxxxxxxx", 8, 8704) == 8);
  CHECK (h2k_vhd_read (path, &in) == 0);
  h2k_vhd_info_free (&in);
  /* A dynamic header beyond the end. */
  CHECK (ftruncate (fd, 600) == 0);
  CHECK (h2k_vhd_read (path, &in) == -1);
  CHECK (error_is ("dynamic header: offset 512 lies beyond the end of the file"));
  close (fd);
  unlink (path);
}

TEST (corpus_differencing)
{
  CLEANUP_FREE char *path = NULL;
  struct h2k_vhd_info in;
  char u[37];

  if (asprintf (&path, "%s/disk-images/dfvfs/fat-differential.vhd", corpus ()) == -1)
    abort ();
  if (access (path, R_OK) != 0) {
    SKIP ("%s not found", path);
    return;
  }
  CHECK (h2k_vhd_read (path, &in) == 0);
  CHECK_INT (in.footer.disk_type, H2K_VHD_DIFFERENCING);
  CHECK_INT (in.footer.current_size, 4194304);
  CHECK_STR (in.footer.creator_app, "win ");
  h2k_vhd_uuid_string (in.footer.uuid, u);
  CHECK_STR (u, "f84f1636-cd9e-9041-a69e-dcc2380e416a");
  h2k_vhd_uuid_string (in.dyn.parent_uuid, u);
  CHECK_STR (u, "5fa21a55-f394-aa4d-9958-1951a67d5540");
  CHECK_STR (in.dyn.parent_name, "C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd");
  CHECK_STR (in.dyn.locators[0].code, "W2ku");
  CHECK_STR (in.locator_paths[0], "C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd");
  CHECK_STR (in.dyn.locators[1].code, "W2ru");
  CHECK_STR (in.locator_paths[1], ".\\fat-parent.vhd");
  h2k_vhd_info_free (&in);
}

/* dfvfs's image.vhd has a footer whose checksum qemu refuses too. */
TEST (corpus_bad_checksum)
{
  CLEANUP_FREE char *path = NULL;
  struct h2k_vhd_info in;

  if (asprintf (&path, "%s/disk-images/dfvfs/image.vhd", corpus ()) == -1)
    abort ();
  if (access (path, R_OK) != 0) {
    SKIP ("%s not found", path);
    return;
  }
  CHECK (h2k_vhd_read (path, &in) == -1);
  CHECK (error_is ("image.vhd: footer: checksum: fffff683 recorded, ffffef25 computed"));
}

/* VHDX. */

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in the on-disk byte order. */
static void
put_guid (unsigned char *p, const char *s)
{
  unsigned v[16];

  sscanf (s, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
          &v[3], &v[2], &v[1], &v[0], &v[5], &v[4], &v[7], &v[6],
          &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
  for (int i = 0; i < 16; ++i)
    p[i] = v[i];
}

static void
set_crc (unsigned char *b, size_t len)
{
  h2k_put_le32 (b + 4, 0);
  h2k_put_le32 (b + 4, h2k_crc32c (b, len));
}

TEST (crc32c)
{
  CHECK_INT (h2k_crc32c ("123456789", 9), 0xe3069283);
  CHECK_INT (h2k_crc32c ("", 0), 0);
}

TEST (vhdx_guid)
{
  unsigned char g[16];
  char s[39];

  put_guid (g, "83ed0ec3-24c8-49a6-a959-5e4bf1288bfb");
  CHECK_INT (g[0], 0xc3);
  h2k_vhdx_guid_string (g, s);
  CHECK_STR (s, "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}");
}

TEST (vhdx_header)
{
  unsigned char b[4096] = "head";
  unsigned char dwg[16];
  uint64_t seq;
  char s[39];

  h2k_put_le64 (b + 8, 42);
  put_guid (b + 32, "11111111-2222-3333-4444-555555555555");
  set_crc (b, sizeof b);
  CHECK (h2k_vhdx_parse_header (b, sizeof b, "x.vhdx", 1, &seq, dwg) == 0);
  CHECK_INT (seq, 42);
  h2k_vhdx_guid_string (dwg, s);
  CHECK_STR (s, "{11111111-2222-3333-4444-555555555555}");
  b[100] = 1;
  CHECK (h2k_vhdx_parse_header (b, sizeof b, "x.vhdx", 1, &seq, dwg) == -1);
  CHECK (error_is ("x.vhdx: header: bad signature or checksum"));
  h2k_clear_error ();
  CHECK (h2k_vhdx_parse_header (b, sizeof b, "x.vhdx", 0, &seq, dwg) == -1);
  CHECK (h2k_first_error () == NULL);
}

TEST (vhdx_region_table)
{
  static unsigned char b[65536];
  uint64_t off = 0;
  uint32_t len = 0;

  memcpy (b, "regi", 4);
  h2k_put_le32 (b + 8, 2);
  put_guid (b + 16, "2dc27766-f623-4200-9d64-115e9bfd4a08");
  put_guid (b + 48, "8b7ca206-4790-4b9a-b8fe-575f050f886e");
  h2k_put_le64 (b + 48 + 16, 2 << 20);
  h2k_put_le32 (b + 48 + 24, 1 << 20);
  set_crc (b, sizeof b);
  CHECK (h2k_vhdx_parse_region_table (b, sizeof b, "x.vhdx", 1, &off, &len) == 0);
  CHECK_INT (off, 2 << 20);
  CHECK_INT (len, 1 << 20);
  h2k_put_le32 (b + 8, 1);
  set_crc (b, sizeof b);
  CHECK (h2k_vhdx_parse_region_table (b, sizeof b, "x.vhdx", 1, &off, &len) == -1);
  CHECK (error_is ("x.vhdx: region table: no metadata region"));
  h2k_put_le32 (b + 8, 5000);
  set_crc (b, sizeof b);
  CHECK (h2k_vhdx_parse_region_table (b, sizeof b, "x.vhdx", 1, &off, &len) == -1);
  CHECK (error_is ("x.vhdx: region table: 5000 entries (at most 2047)"));
}

/* A metadata region: file parameters (HASPARENT), size, locator with
 * KEYS/VALUES.
 */
static size_t
make_metadata (unsigned char *b, size_t len, int has_parent,
               const char *const *kv, size_t nkv)
{
  unsigned char *loc = b + 0x10000 + 64;
  size_t pos = 20 + 12 * nkv;

  memset (b, 0, len);
  memcpy (b, "metadata", 8);
  h2k_put_le16 (b + 10, 3);
  put_guid (b + 32, "caa16737-fa36-4d43-b3b6-33f0aa44e76b");
  h2k_put_le32 (b + 32 + 16, 0x10000);
  h2k_put_le32 (b + 32 + 20, 8);
  h2k_put_le32 (b + 0x10000, 32 << 20);
  h2k_put_le32 (b + 0x10004, has_parent ? 2 : 0);
  put_guid (b + 64, "2fa54224-cd1b-4876-b211-5dbed83bf4b8");
  h2k_put_le32 (b + 64 + 16, 0x10008);
  h2k_put_le32 (b + 64 + 20, 8);
  h2k_put_le64 (b + 0x10008, 4 << 20);
  put_guid (b + 96, "a8d35f2d-b30b-454d-abf7-d3d84834ab0c");
  h2k_put_le32 (b + 96 + 16, 0x10000 + 64);
  put_guid (loc, "b04aefb7-d19e-4a81-b789-25b8e9445913");
  h2k_put_le16 (loc + 18, nkv);
  for (size_t i = 0; i < nkv; ++i) {
    size_t kl = utf16 (loc + pos, kv[2 * i], 0);
    size_t vl = utf16 (loc + pos + kl, kv[2 * i + 1], 0);
    h2k_put_le32 (loc + 20 + 12 * i, pos);
    h2k_put_le32 (loc + 20 + 12 * i + 4, pos + kl);
    h2k_put_le16 (loc + 20 + 12 * i + 8, kl);
    h2k_put_le16 (loc + 20 + 12 * i + 10, vl);
    pos += kl + vl;
  }
  h2k_put_le32 (b + 96 + 20, pos);
  return pos;
}

TEST (vhdx_metadata)
{
  static unsigned char b[0x20000];
  const char *kv[] = {
    "parent_linkage", "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}",
    "relative_path", "..\\p\\parent.vhdx",
    "absolute_win32_path", "\\\\?\\d:\\p\\parent.vhdx",
    "other", "ignored",
  };
  struct h2k_vhdx_info in = { 0 };

  make_metadata (b, sizeof b, 1, kv, 4);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == 0);
  CHECK (in.has_parent);
  CHECK_INT (in.virtual_size, 4 << 20);
  CHECK_INT (in.block_size, 32 << 20);
  CHECK_STR (in.parent_linkage, "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}");
  CHECK_STR (in.relative_path, "..\\p\\parent.vhdx");
  CHECK_STR (in.absolute_win32_path, "\\\\?\\d:\\p\\parent.vhdx");
  CHECK (in.volume_path == NULL);
  h2k_vhdx_info_free (&in);

  /* HasParent without a parent_linkage. */
  make_metadata (b, sizeof b, 1, kv + 2, 1);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("x.vhdx: parent locator: parent_linkage: missing in a differencing disk"));
  CHECK (in.relative_path == NULL);
  /* A key twice. */
  {
    const char *twice[] = { "relative_path", "a", "relative_path", "b" };
    make_metadata (b, sizeof b, 1, twice, 2);
    CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
    CHECK (error_is ("x.vhdx: parent locator: relative_path: given twice"));
  }
  /* An entry pointing outside the item. */
  make_metadata (b, sizeof b, 1, kv, 1);
  h2k_put_le32 (b + 0x10000 + 64 + 24, 70000);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("x.vhdx: parent locator: entry out of bounds"));
  /* Another locator type. */
  make_metadata (b, sizeof b, 1, kv, 1);
  b[0x10000 + 64] ^= 1;
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("is not a VHDX parent"));
  /* An item outside the region. */
  make_metadata (b, sizeof b, 0, kv, 1);
  h2k_put_le32 (b + 64 + 16, sizeof b - 4);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("x.vhdx: metadata: item out of bounds"));
  /* No size. */
  make_metadata (b, sizeof b, 0, kv, 1);
  memset (b + 64, 0, 16);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("x.vhdx: metadata: virtual disk size missing"));
  /* Too many entries. */
  make_metadata (b, sizeof b, 0, kv, 1);
  h2k_put_le16 (b + 10, 4000);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("x.vhdx: metadata: 4000 entries"));
  memcpy (b, "metadato", 8);
  CHECK (h2k_vhdx_parse_metadata (b, sizeof b, "x.vhdx", &in) == -1);
  CHECK (error_is ("no \"metadata\" table"));
}

TEST (vhdx_not_vhdx)
{
  struct h2k_vhdx_info in;
  CLEANUP_FREE char *path = NULL;

  if (asprintf (&path, "%s/disk-images/dfvfs/fat-differential.vhd", corpus ()) == -1)
    abort ();
  if (access (path, R_OK) != 0)
    return;
  CHECK (h2k_vhdx_read (path, &in) == -1);
  CHECK (error_is ("file identifier: no \"vhdxfile\" (not a VHDX)"));
}

TEST (bitmap_size)
{
  /* One bit a sector, rounded up to whole sectors. */
  CHECK_INT (h2k_vhd_bitmap_size (2u << 20), 512);
  CHECK_INT (h2k_vhd_bitmap_size (512u << 10), 512);
  CHECK_INT (h2k_vhd_bitmap_size (4u << 20), 1024);
  CHECK_INT (h2k_vhd_bitmap_size (256u << 20), 65536);
}

TEST (bat)
{
  struct h2k_vhd_dyn_header h = { 0 };
  unsigned char b[16];
  uint32_t bat[4];
  uint64_t span = 512 + (2u << 20);       /* bitmap + data */

  h.block_size = 2u << 20;
  h.max_table_entries = 4;
  h2k_put_be32 (b, 0xffffffff);
  h2k_put_be32 (b + 4, 3);
  h2k_put_be32 (b + 8, 0xffffffff);
  h2k_put_be32 (b + 12, 3 + span / 512);
  /* Two blocks from sector 3: the file must hold both. */
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 8 << 20,
                            3 * 512 + 2 * span, bat) == 0);
  CHECK_INT (bat[0], H2K_VHD_BAT_UNUSED);
  CHECK_INT (bat[1], 3);
  CHECK_INT (bat[2], H2K_VHD_BAT_UNUSED);
  CHECK_INT (bat[3], 3 + span / 512);
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 8 << 20,
                            3 * 512 + 2 * span - 1, bat) == -1);
  CHECK (error_is ("d.vhd: BAT: entry 3: block at offset 2099200 lies beyond "
                   "the end of the file (truncated?)"));
  h2k_put_be32 (b + 12, 0xfffffffe);
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 8 << 20, 100 << 20,
                            bat) == -1);
  CHECK (error_is ("d.vhd: BAT: entry 3: block at offset 2199023254528 lies beyond"));
  h2k_put_be32 (b + 12, 0xffffffff);
  /* The table must cover the disk, and fit in the buffer. */
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, (8 << 20) + 1,
                            100 << 20, bat) == -1);
  CHECK (error_is ("d.vhd: dynamic header: max table entries: 4 blocks of "
                   "2097152 bytes do not cover the virtual size 8388609"));
  CHECK (h2k_vhd_parse_bat (b, 12, "d.vhd", &h, 8 << 20, 100 << 20, bat) == -1);
  CHECK (error_is ("d.vhd: BAT: 12 bytes for 4 entries"));
  /* Hostile geometry. */
  h.block_size = 256u << 10;
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 1 << 20, 100 << 20,
                            bat) == -1);
  CHECK (error_is ("dynamic header: block size: 262144 is not a power of two "
                   "from 524288 to 268435456"));
  h.block_size = 512u << 20;
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 1 << 20, 100 << 20,
                            bat) == -1);
  CHECK (error_is ("block size: 536870912 is not a power of two"));
  h.block_size = (2u << 20) + 512;
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 1 << 20, 100 << 20,
                            bat) == -1);
  CHECK (error_is ("block size: 2097664 is not a power of two"));
  h.block_size = 2u << 20;
  h.max_table_entries = H2K_VHD_MAX_BAT_ENTRIES + 1;
  CHECK (h2k_vhd_parse_bat (b, sizeof b, "d.vhd", &h, 1 << 20, 100 << 20,
                            bat) == -1);
  CHECK (error_is ("dynamic header: max table entries: 4194305 (at most 4194304)"));
}

/* h2k_vhd_read_bat on a file: a fixed disk has no BAT; a table past the
 * end of the file is refused.
 */
TEST (read_bat)
{
  char path[] = "/tmp/h2k-test-vhd-XXXXXX";
  int fd = mkstemp (path);
  struct h2k_vhd_info in = { 0 };
  unsigned char b[512];
  uint32_t *bat;

  CHECK (fd != -1);
  h2k_put_be32 (b, 0xffffffff);
  h2k_put_be32 (b + 4, 1);
  memset (b + 8, 0xff, sizeof b - 8);
  CHECK (pwrite (fd, b, sizeof b, 1536) == (ssize_t) sizeof b);
  in.has_dyn = 1;
  in.footer.current_size = 4 << 20;
  in.dyn.block_size = 2u << 20;
  in.dyn.max_table_entries = 2;
  in.dyn.table_offset = 1536;
  /* Block 1 at sector 1: needs 512 + 512 + 2 MiB bytes. */
  bat = h2k_vhd_read_bat (fd, path, 2048, &in);
  CHECK (bat == NULL);
  CHECK (error_is ("BAT: entry 1: block at offset 512 lies beyond the end"));
  bat = h2k_vhd_read_bat (fd, path, 1024 + (2u << 20), &in);
  CHECK (bat != NULL);
  CHECK_INT (bat ? bat[1] : 0, 1);
  free (bat);
  in.dyn.table_offset = 4096;
  CHECK (h2k_vhd_read_bat (fd, path, 2048, &in) == NULL);
  CHECK (error_is ("BAT: offset 4096 lies beyond the end of the file"));
  in.has_dyn = 0;
  CHECK (h2k_vhd_read_bat (fd, path, 2048, &in) == NULL);
  CHECK (error_is ("BAT: a fixed disk has none"));
  close (fd);
  unlink (path);
}

TEST (vhdx_find_region)
{
  static unsigned char b[65536];
  uint64_t off = 0;
  uint32_t len = 0;

  memcpy (b, "regi", 4);
  h2k_put_le32 (b + 8, 2);
  put_guid (b + 16, "2dc27766-f623-4200-9d64-115e9bfd4a08");
  h2k_put_le64 (b + 16 + 16, 3 << 20);
  h2k_put_le32 (b + 16 + 24, 1 << 20);
  put_guid (b + 48, "8b7ca206-4790-4b9a-b8fe-575f050f886e");
  CHECK (h2k_vhdx_find_region (b, sizeof b, H2K_VHDX_GUID_BAT, &off, &len) == 0);
  CHECK_INT (off, 3 << 20);
  CHECK_INT (len, 1 << 20);
  h2k_put_le32 (b + 8, 1);
  CHECK (h2k_vhdx_find_region (b, sizeof b, "{8b7ca206-4790-4b9a-b8fe-575f050f886e}",
                               &off, &len) == -1);
  /* A count beyond the buffer stops at its end. */
  h2k_put_le32 (b + 8, 0xffffffff);
  CHECK (h2k_vhdx_find_region (b, 64, "{00000000-0000-0000-0000-000000000000}",
                               &off, &len) == -1);
  CHECK (h2k_first_error () == NULL);
}

TEST (vhdx_geometry)
{
  struct h2k_vhdx_info in = { .virtual_size = 4 << 20, .block_size = 1 << 20,
                              .logical_sector_size = 512 };
  struct h2k_vhdx_geometry g;

  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == 0);
  CHECK_INT (g.chunk_ratio, 4096);
  CHECK_INT (g.nr_blocks, 4);
  CHECK_INT (g.nr_entries, 4097);
  in.block_size = 32 << 20;
  in.logical_sector_size = 4096;
  in.virtual_size = (uint64_t) 10 << 30;        /* 320 blocks, ratio 1024 */
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == 0);
  CHECK_INT (g.chunk_ratio, 1024);
  CHECK_INT (g.nr_blocks, 320);
  CHECK_INT (g.nr_entries, 1025);
  CHECK_INT (h2k_vhdx_payload_index (1024, 1024), 1025);
  CHECK_INT (h2k_vhdx_bitmap_index (1, 1024), 2049);
  in.block_size = 3 << 20;
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == -1);
  CHECK (error_is ("x.vhdx: metadata: block size 3145728 (a power of two from 1 MiB to 256 MiB)"));
  in.block_size = 512 << 20;
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == -1);
  CHECK (error_is ("metadata: block size 536870912"));
  in.block_size = 1 << 20;
  in.logical_sector_size = 1024;
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == -1);
  CHECK (error_is ("x.vhdx: metadata: logical sector size 1024 (512 or 4096)"));
  in.logical_sector_size = 512;
  in.virtual_size = 1000;
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == -1);
  CHECK (error_is ("x.vhdx: metadata: virtual disk size 1000 is not a whole number of sectors"));
  in.virtual_size = (uint64_t) 1 << 50;         /* 2^30 blocks */
  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == -1);
  CHECK (error_is ("x.vhdx: BAT: 1073741824 blocks of 1048576 bytes: too many"));
}

TEST (vhdx_bat)
{
  struct h2k_vhdx_info in = { .virtual_size = 4 << 20, .block_size = 1 << 20,
                              .logical_sector_size = 512 };
  struct h2k_vhdx_geometry g;
  static unsigned char b[4097 * 8];
  static uint64_t bat[4097];
  const uint64_t fs = 16 << 20;

  CHECK (h2k_vhdx_geometry (&in, "x.vhdx", &g) == 0);
  h2k_put_le64 (b + 0, 0);
  h2k_put_le64 (b + 8, (8u << 20) | 6);
  h2k_put_le64 (b + 16, (9u << 20) | 7);
  h2k_put_le64 (b + 24, 2);
  h2k_put_le64 (b + 8 * 4096, (10u << 20) | 6);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == 0);
  CHECK_INT (H2K_VHDX_BAT_STATE (bat[1]), H2K_VHDX_PAYLOAD_FULLY_PRESENT);
  CHECK_INT (H2K_VHDX_BAT_OFFSET (bat[1]), 8 << 20);
  CHECK_INT (H2K_VHDX_BAT_STATE (bat[2]), H2K_VHDX_PAYLOAD_PARTIALLY_PRESENT);
  CHECK_INT (H2K_VHDX_BAT_OFFSET (bat[4096]), 10 << 20);
  /* Too short a table. */
  CHECK (h2k_vhdx_parse_bat (b, 4096 * 8, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: 32768 bytes for 4097 entries"));
  /* The sector bitmap ends past the file. */
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, (9u << 20) + 4096,
                             bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: chunk 0: sector bitmap at offset 10485760 lies outside the file (truncated?)"));
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, (10u << 20) - 1,
                             bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: chunk 0: sector bitmap at offset 10485760 lies outside"));
  h2k_put_le64 (b + 8 * 4096, (20u << 20) | 0);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: block 2: partially present, but chunk 0 has no sector bitmap"));
  h2k_put_le64 (b + 8 * 4096, (10u << 20) | 6);
  h2k_put_le64 (b + 8, (16u << 20) | 6);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: block 1: data at offset 16777216 lies outside the file (truncated?)"));
  /* Offset 0 (the file header) is never a block. */
  h2k_put_le64 (b + 8, 6);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: block 1: data at offset 0 lies outside the file"));
  h2k_put_le64 (b + 8, 5);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: block 1: state 5 unknown"));
  h2k_put_le64 (b + 8, 0);
  h2k_put_le64 (b + 8 * 4096, (10u << 20) | 1);
  CHECK (h2k_vhdx_parse_bat (b, sizeof b, "x.vhdx", &in, &g, fs, bat) == -1);
  CHECK (error_is ("x.vhdx: BAT: chunk 0: sector bitmap state 1 unknown"));
  /* h2k_vhdx_read_bat refuses before reading anything. */
  in.log_pending = 1;
  CHECK (h2k_vhdx_read_bat (-1, "x.vhdx", fs, &in, &g) == NULL);
  CHECK (error_is ("x.vhdx: header: LogGuid set: the log holds writes not yet applied"));
  in.log_pending = 0;
  CHECK (h2k_vhdx_read_bat (-1, "x.vhdx", fs, &in, &g) == NULL);
  CHECK (error_is ("x.vhdx: region table: no BAT region"));
  in.bat_offset = 1 << 20;
  in.bat_length = 100;
  CHECK (h2k_vhdx_read_bat (-1, "x.vhdx", fs, &in, &g) == NULL);
  CHECK (error_is ("x.vhdx: BAT: region of 100 bytes, 4097 entries needed"));
}


int
main (void)
{
  RUN (footer);
  RUN (dyn_header);
  RUN (locators);
  RUN (read_file);
  RUN (corpus_differencing);
  RUN (corpus_bad_checksum);
  RUN (bitmap_size);
  RUN (bat);
  RUN (read_bat);
  RUN (crc32c);
  RUN (vhdx_guid);
  RUN (vhdx_header);
  RUN (vhdx_region_table);
  RUN (vhdx_metadata);
  RUN (vhdx_not_vhdx);
  RUN (vhdx_find_region);
  RUN (vhdx_geometry);
  RUN (vhdx_bat);
  return test_done ();
}
