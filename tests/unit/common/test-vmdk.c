/* Unit tests: common/vmdk.c, the VMDK descriptor parser. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "byteorder.h"
#include "cleanup.h"
#include "error.h"
#include "vmdk.h"

static const char *
corpus (void)
{
  const char *c = getenv ("H2K_CORPUS");
  return c ? c : SRCDIR "/../shared/corpus";
}

/* Parse S; return 0/-1 like the parser, with stderr kept quiet. */
static int
parse (const char *s, struct h2k_vmdk_descriptor *d)
{
  int r;

  fflush (stderr);
  r = h2k_vmdk_parse_descriptor (s, strlen (s), "t.vmdk", d);
  return r;
}

/* The text of the first error reported, for checking messages. */
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

static int
fails_with (const char *s, const char *want)
{
  struct h2k_vmdk_descriptor d;

  h2k_clear_error ();
  if (parse (s, &d) != -1) {
    h2k_vmdk_descriptor_free (&d);
    printf ("# parsed, wanted error \"%s\"\n", want);
    return 0;
  }
  return error_is (want) && d.extents == NULL && d.create_type == NULL;
}

#define HEAD "# Disk DescriptorFile\nversion=1\n"

TEST (delta_with_parent)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d;
  const char *s =
    HEAD
    "encoding=\"UTF-8\"\r\n"
    "CID=8F67CA74\n"
    "parentCID=0172e8a4\n"
    "createType=\"vmfsSparse\"\n"
    "parentFileNameHint=\"/vmfs/volumes/ds 1/vm/base.vmdk\"\n"
    "# Extent description\n"
    "RW 4096 VMFSSPARSE \"my delta.vmdk\"\n"
    "\n"
    "# The Disk Data Base \n#DDB\n\n"
    "ddb.longContentID = \"4b98b55ba6a6bc2e8fd6eb368f67ca74\"\n";

  CHECK (parse (s, &d) == 0);
  CHECK_INT (d.version, 1);
  CHECK_INT (d.cid, 0x8f67ca74);
  CHECK_INT (d.parent_cid, 0x0172e8a4);
  CHECK_STR (d.create_type, "vmfsSparse");
  CHECK_STR (d.parent_hint, "/vmfs/volumes/ds 1/vm/base.vmdk");
  CHECK_STR (d.encoding, "UTF-8");
  CHECK_INT (d.nr_extents, 1);
  CHECK_STR (d.extents[0].access, "RW");
  CHECK_STR (d.extents[0].type, "VMFSSPARSE");
  CHECK_STR (d.extents[0].file, "my delta.vmdk");
  CHECK_INT (d.extents[0].sectors, 4096);
  CHECK_INT (d.sectors, 4096);
  CHECK (!d.embedded);
}

TEST (extents_flat_zero)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d;
  const char *s =
    HEAD "CID=00000001\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentFlat\"\n"
    "RW 4192256 FLAT \"a-f001.vmdk\" 0\n"
    "RDONLY 100 FLAT \"a-f002.vmdk\" 2048\n"
    "NOACCESS 28 ZERO\n";

  CHECK (parse (s, &d) == 0);
  CHECK_INT (d.parent_cid, H2K_VMDK_NO_PARENT);
  CHECK (d.parent_hint == NULL);
  CHECK_INT (d.nr_extents, 3);
  CHECK_INT (d.extents[1].offset, 2048);
  CHECK_STR (d.extents[1].access, "RDONLY");
  CHECK (d.extents[2].file == NULL);
  CHECK_STR (d.extents[2].type, "ZERO");
  CHECK_INT (d.sectors, 4192256 + 100 + 28);
}

TEST (cid_string)
{
  char b[9];

  h2k_vmdk_cid_string (0x172e8a4, b);
  CHECK_STR (b, "0172e8a4");
  h2k_vmdk_cid_string (H2K_VMDK_NO_PARENT, b);
  CHECK_STR (b, "ffffffff");
}

/* Parsing stops at the first NUL: the padding of an embedded descriptor. */
TEST (stops_at_nul)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d;
  char buf[512] = HEAD "CID=1\ncreateType=\"monolithicSparse\"\nRW 8 SPARSE \"x.vmdk\"\n";

  memcpy (buf + 300, "garbage here", 12);
  CHECK (h2k_vmdk_parse_descriptor (buf, sizeof buf, "t.vmdk", &d) == 0);
  CHECK_INT (d.nr_extents, 1);
}

TEST (errors)
{
  CHECK (fails_with (HEAD "createType=\"x\"\nRW 8 SPARSE \"x\"\n",
                     "t.vmdk: CID: missing (truncated descriptor?)"));
  CHECK (fails_with (HEAD "CID=1\nRW 8 SPARSE \"x\"\n",
                     "t.vmdk: createType: missing"));
  CHECK (fails_with (HEAD "CID=1\ncreateType=\"x\"\n",
                     "t.vmdk: extent: no extent lines"));
  CHECK (fails_with (HEAD "CID=xyz\n", "t.vmdk: line 3: CID: \"xyz\" is not a CID"));
  CHECK (fails_with (HEAD "CID=123456789\n", "line 3: CID: \"123456789\" is not a CID"));
  CHECK (fails_with (HEAD "CID=1\nCID=2\n", "t.vmdk: line 4: CID: given twice"));
  CHECK (fails_with (HEAD "createType=\"a\"\ncreateType=\"b\"\n",
                     "line 4: createType: given twice"));
  CHECK (fails_with (HEAD "createType=\"abc\n", "line 3: createType: unterminated quoted value"));
  CHECK (fails_with ("version=9\n", "t.vmdk: line 1: version: \"9\" is not 1, 2 or 3"));
  CHECK (fails_with (HEAD "version=1\n", "line 3: version: \"1\" is not 1, 2 or 3 (or given twice)"));
  CHECK (fails_with (HEAD "just words\n", "line 3: \"just words\" is neither key=value nor an extent"));
  CHECK (fails_with (HEAD "= 3\n", "line 3: empty key"));
  CHECK (fails_with (HEAD "RW x SPARSE \"a\"\n", "line 3: extent: \"x\" is not a size in sectors"));
  CHECK (fails_with (HEAD "RW 0 SPARSE \"a\"\n", "line 3: extent: \"0\" is not a size"));
  CHECK (fails_with (HEAD "RW 99999999999999999999 SPARSE \"a\"\n", "is not a size"));
  CHECK (fails_with (HEAD "RW 8 SPARSY \"a\"\n", "line 3: extent: unknown extent type \"SPARSY\""));
  CHECK (fails_with (HEAD "RW 8 SPARSE a\n", "line 3: extent: missing or unterminated quoted file name"));
  CHECK (fails_with (HEAD "RW 8 SPARSE \"a\n", "missing or unterminated quoted file name"));
  CHECK (fails_with (HEAD "RW 8 SPARSE \"\"\n", "file name empty"));
  CHECK (fails_with (HEAD "RW 8 FLAT \"a\" 0 junk\n", "unexpected text after the file name"));
  CHECK (fails_with (HEAD "RW 8 ZERO \"a\"\n", "a ZERO extent names no file"));
  CHECK (fails_with (HEAD "RW 18014398509481983 ZERO\nRW 1 ZERO\n",
                     "line 4: extent: the sizes add up to more than 2^63 bytes"));
  CHECK (fails_with (HEAD "CID=1\nparentCID=12\ncreateType=\"x\"\nRW 8 ZERO\n",
                     "t.vmdk: parentFileNameHint: missing, but parentCID is 00000012"));
  CHECK (fails_with (HEAD "CID=1\nparentCID=ffffffff\nparentFileNameHint=\"b.vmdk\"\n"
                     "createType=\"x\"\nRW 8 ZERO\n",
                     "t.vmdk: parentCID: ffffffff (no parent), but parentFileNameHint is \"b.vmdk\""));
  CHECK (fails_with (HEAD "parentFileNameHint=\"\"\n", "line 3: parentFileNameHint: empty"));
}

/* Hostile sizes: a huge value, a huge line, too many extents. */
TEST (limits)
{
  CLEANUP_FREE char *big = malloc (H2K_VMDK_MAX_LINE + 100);
  CLEANUP_FREE char *many = NULL;
  size_t n = 0;
  FILE *fp;

  snprintf (big, 64, "parentFileNameHint=\"");
  memset (big + strlen (big), 'x', H2K_VMDK_MAX_VALUE + 1);
  strcpy (big + 20 + H2K_VMDK_MAX_VALUE + 1, "\"\n");
  CHECK (fails_with (big, "t.vmdk: line 1: parentFileNameHint: value longer than 4096 bytes"));

  memset (big, 'x', H2K_VMDK_MAX_LINE + 1);
  strcpy (big + H2K_VMDK_MAX_LINE + 1, "\n");
  CHECK (fails_with (big, "t.vmdk: line 1: longer than 8192 bytes"));

  fp = open_memstream (&many, &n);
  fputs (HEAD "CID=1\ncreateType=\"x\"\n", fp);
  for (unsigned i = 0; i <= H2K_VMDK_MAX_EXTENTS; ++i)
    fputs ("RW 8 ZERO\n", fp);
  fclose (fp);
  CHECK (fails_with (many, "line 32773: extent: more than 32768 extents"));
}

TEST (sparse_header)
{
  unsigned char b[512] = "KDMV";
  struct h2k_vmdk_sparse_header h;

  h2k_put_le32 (b + 4, 1);
  h2k_put_le32 (b + 8, 3);
  h2k_put_le64 (b + 12, 8192);
  h2k_put_le64 (b + 20, 128);
  h2k_put_le64 (b + 28, 1);
  h2k_put_le64 (b + 36, 20);
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == 0);
  CHECK_INT (h.capacity, 8192);
  CHECK_INT (h.grain_size, 128);
  CHECK_INT (h.desc_offset, 1);
  CHECK_INT (h.desc_size, 20);

  h2k_put_le64 (b + 36, H2K_VMDK_MAX_DESCRIPTOR / 512 + 1);
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == -1);
  CHECK (error_is ("s.vmdk: sparse header: descriptorOffset 1, descriptorSize 8193: out of bounds"));
  h2k_put_le64 (b + 36, 0);
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == -1);
  CHECK (error_is ("out of bounds"));
  h2k_put_le64 (b + 36, 20);
  h2k_put_le32 (b + 4, 7);
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == -1);
  CHECK (error_is ("s.vmdk: sparse header: version 7 is not 1, 2 or 3"));
  h2k_put_le32 (b + 4, 1);
  h2k_put_le64 (b + 12, UINT64_MAX);
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == -1);
  CHECK (error_is ("capacity"));
  b[0] = 'X';
  CHECK (h2k_vmdk_parse_sparse_header (b, sizeof b, "s.vmdk", &h) == -1);
  CHECK (error_is ("s.vmdk: not a VMDK sparse extent"));
}

/* Files from the corpus; a missing one is skipped, with a note. */
static int
corpus_file (const char *rel, char **path)
{
  if (asprintf (path, "%s/%s", corpus (), rel) == -1)
    abort ();
  if (access (*path, R_OK) == 0)
    return 1;
  SKIP ("%s not found", *path);
  return 0;
}

TEST (corpus_vmfs_snapshot)
{
  CLEANUP_FREE char *base = NULL, *delta = NULL;
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor b = { 0 };
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor c = { 0 };

  if (!corpus_file ("vmdk/vmdk-rs/vmfs_thick.vmdk", &base) ||
      !corpus_file ("vmdk/vmdk-rs/vmfs_thick-000001.vmdk", &delta))
    return;
  CHECK (h2k_vmdk_read_descriptor (base, &b) == 0);
  CHECK (h2k_vmdk_read_descriptor (delta, &c) == 0);
  CHECK_STR (b.create_type, "vmfs");
  CHECK_INT (b.parent_cid, H2K_VMDK_NO_PARENT);
  CHECK (b.parent_hint == NULL);
  CHECK_INT (b.nr_extents, 1);
  CHECK_STR (b.extents[0].type, "VMFS");
  CHECK_STR (b.extents[0].file, "vmfs_thick-flat.vmdk");
  CHECK_STR (c.create_type, "vmfsSparse");
  CHECK_STR (c.parent_hint, "vmfs_thick.vmdk");
  CHECK_INT (c.cid, 0x8f67ca74);
  CHECK_INT (c.parent_cid, 0x0172e8a4);
  CHECK_INT (c.nr_extents, 1);
  CHECK_STR (c.extents[0].type, "VMFSSPARSE");
  CHECK_STR (c.extents[0].file, "vmfs_thick-000001-delta.vmdk");
  /* vmdk-rs holds two versions of the base: the one the snapshot was
   * taken of, and an older one with another CID.
   */
  if (b.cid == 0x0172e8a4) {
    CHECK_INT (c.parent_cid, b.cid);
    CHECK_INT (b.sectors, 4096);
  }
  else {
    CHECK_INT (b.cid, 0);
    CHECK_INT (b.sectors, 20480);
    CHECK_INT (b.extents[0].offset, 0);
  }
}

TEST (corpus_two_gb_sparse)
{
  CLEANUP_FREE char *p = NULL, *ms3 = NULL;
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d = { 0 };
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor m = { 0 };

  if (corpus_file ("vmdk/vmdk-rs/twoGbMaxExtentSparse.vmdk", &p)) {
    CHECK (h2k_vmdk_read_descriptor (p, &d) == 0);
    CHECK_STR (d.create_type, "twoGbMaxExtentSparse");
    CHECK_INT (d.cid, 0);
    CHECK_INT (d.parent_cid, H2K_VMDK_NO_PARENT);
    CHECK_INT (d.nr_extents, 1);
    CHECK_STR (d.extents[0].file, "twoGbMaxExtentSparse-s001.vmdk");
    CHECK_INT (d.sectors, 20480);
  }
  if (corpus_file ("vmdk/vmdk-forensic/ms3-win.vmdk", &ms3)) {
    CHECK (h2k_vmdk_read_descriptor (ms3, &m) == 0);
    CHECK_INT (m.cid, 0x216bc064);
    CHECK_INT (m.nr_extents, 16);
    CHECK_STR (m.extents[15].file, "disk-s016.vmdk");
    CHECK_INT (m.sectors, 15 * UINT64_C (8323072) + 983040);
  }
}

/* Embedded descriptors of hosted sparse files, and files that have none. */
TEST (corpus_embedded)
{
  CLEANUP_FREE char *plaso = NULL, *stream = NULL, *extent = NULL;
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d = { 0 };
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor s = { 0 };
  struct h2k_vmdk_descriptor e;

  if (corpus_file ("disk-images/plaso/image.vmdk", &plaso)) {
    CHECK (h2k_vmdk_read_descriptor (plaso, &d) == 0);
    CHECK (d.embedded);
    CHECK_STR (d.create_type, "monolithicSparse");
    CHECK_INT (d.parent_cid, H2K_VMDK_NO_PARENT);
    CHECK_INT (d.nr_extents, 1);
    CHECK_STR (d.extents[0].type, "SPARSE");
  }
  if (corpus_file ("vmdk/vmdk-rs/streamOptimizedWithMarkers.vmdk", &stream)) {
    CHECK (h2k_vmdk_read_descriptor (stream, &s) == 0);
    CHECK (s.embedded);
    CHECK_INT (s.cid, 0x7e5b80a7);
    CHECK_STR (s.create_type, "streamOptimized");
    CHECK_STR (s.extents[0].access, "RDONLY");
  }
  /* The extent of a twoGbMaxExtentSparse set has a header but no
   * descriptor: its text descriptor must be opened instead.
   */
  if (corpus_file ("vmdk/vmdk-rs/twoGbMaxExtentSparse-s001.vmdk", &extent)) {
    h2k_clear_error ();
    CHECK (h2k_vmdk_read_descriptor (extent, &e) == -1);
    CHECK (error_is ("a sparse extent without an embedded descriptor"));
  }
}

TEST (not_a_descriptor)
{
  char path[] = "/tmp/h2k-test-vmdk-XXXXXX";
  int fd = mkstemp (path);
  struct h2k_vmdk_descriptor d;

  CHECK (fd >= 0);
  CHECK (write (fd, "COWD\1\0\0\0", 8) == 8);
  CHECK (h2k_vmdk_read_descriptor (path, &d) == -1);
  CHECK (error_is ("an ESX vmfsSparse (COWD) extent, not a descriptor"));
  CHECK (pwrite (fd, "CID=1\0\0\1", 8, 0) == 8);
  CHECK (h2k_vmdk_read_descriptor (path, &d) == -1);
  CHECK (error_is ("not a VMDK descriptor: binary data and no sparse header"));
  CHECK (ftruncate (fd, H2K_VMDK_MAX_DESCRIPTOR + 1) == 0);
  CHECK (h2k_vmdk_read_descriptor (path, &d) == -1);
  CHECK (error_is ("larger than 4194304 bytes for a text descriptor"));
  CHECK (h2k_vmdk_read_descriptor ("/nonexistent/x.vmdk", &d) == -1);
  CHECK (error_is ("/nonexistent/x.vmdk: No such file or directory"));
  close (fd);
  unlink (path);
}

int
main (void)
{
  RUN (delta_with_parent);
  RUN (extents_flat_zero);
  RUN (cid_string);
  RUN (stops_at_nul);
  RUN (errors);
  RUN (limits);
  RUN (sparse_header);
  RUN (corpus_vmfs_snapshot);
  RUN (corpus_two_gb_sparse);
  RUN (corpus_embedded);
  RUN (not_a_descriptor);
  return test_done ();
}
