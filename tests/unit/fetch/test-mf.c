/* Unit tests for the OVF manifest (.mf) parser and verifier
 * (tools/h2k-fetch/mf.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "test.h"
#include "../../../tools/h2k-fetch/mf.h"

/* Digests of "hello\n". */
#define SHA1_HELLO "f572d396fae9206628714fb2ce00f72e94f2258f"
#define SHA256_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define SHA512_HELLO "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931" \
  "f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629"

static struct mf *
parse (const char *text, const char **err)
{
  struct mf *mf;

  h2k_clear_error ();
  mf = mf_parse (text, strlen (text), "x.mf");
  *err = h2k_first_error ();
  return mf;
}

TEST (good)
{
  const char *err;
  struct mf *mf = parse ("SHA1(a.ovf)= " SHA1_HELLO "\n"
                         "SHA256(disk1.vmdk)= " SHA256_HELLO "\n"
                         "SHA512(sub/disk2.vmdk)= " SHA512_HELLO "\n", &err);

  CHECK (mf != NULL);
  if (mf == NULL)
    return;
  CHECK_INT (mf->n, 3);
  CHECK_STR (mf->entries[0].algo, "sha1");
  CHECK_STR (mf->entries[0].file, "a.ovf");
  CHECK_STR (mf->entries[0].hex, SHA1_HELLO);
  CHECK_STR (mf->entries[1].algo, "sha256");
  CHECK_STR (mf->entries[1].file, "disk1.vmdk");
  CHECK_STR (mf->entries[2].algo, "sha512");
  CHECK_STR (mf->entries[2].file, "sub/disk2.vmdk");
  CHECK_INT (mf->entries[2].line, 3);
  CHECK (mf_find (mf, "disk1.vmdk") == &mf->entries[1]);
  CHECK (mf_find (mf, "./disk1.vmdk") == &mf->entries[1]);
  CHECK (mf_find (mf, "nope") == NULL);
  mf_free (mf);
}

/* What real manifests look like: CRLF, spaces, upper-case hex, blank
 * lines, no final newline, names with spaces and parentheses.
 */
TEST (variants)
{
  const char *err;
  struct mf *mf = parse ("\r\n"
                         "SHA256 (a b.ovf) = 5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03\r\n"
                         "  sha1(disk (1).vmdk)=" SHA1_HELLO "  \r\n"
                         "\n"
                         "SHA256(last.vmdk)= " SHA256_HELLO, &err);

  CHECK (mf != NULL);
  if (mf == NULL)
    return;
  CHECK_INT (mf->n, 3);
  CHECK_STR (mf->entries[0].file, "a b.ovf");
  CHECK_STR (mf->entries[0].hex, SHA256_HELLO);
  CHECK_INT (mf->entries[0].line, 2);
  CHECK_STR (mf->entries[1].file, "disk (1).vmdk");
  CHECK_STR (mf->entries[1].algo, "sha1");
  CHECK_STR (mf->entries[2].file, "last.vmdk");
  mf_free (mf);
}

static void
bad (const char *text, const char *want)
{
  const char *err;
  struct mf *mf = parse (text, &err);

  CHECK (mf == NULL);
  if (err == NULL || strstr (err, want) == NULL)
    printf ("# wanted \"%s\", got \"%s\"\n", want, err ? err : "(none)");
  CHECK (err && strstr (err, want));
  mf_free (mf);
}

TEST (malformed)
{
  bad ("SHA256(a)= " SHA256_HELLO "\nnonsense\n",
       "x.mf: line 2: malformed line (expected ALGO(file)= hex)");
  bad ("SHA256 a = " SHA256_HELLO, "x.mf: line 1: malformed line");
  bad ("SHA256(a " SHA256_HELLO, "x.mf: line 1: malformed line");
  bad ("SHA256(a)x= " SHA256_HELLO, "x.mf: line 1: malformed line");
  bad ("MD5(a)= d41d8cd98f00b204e9800998ecf8427e",
       "x.mf: line 1: unsupported digest algorithm 'MD5'");
  bad ("SHA256(a)= " SHA1_HELLO, "x.mf: line 1: SHA256(a): expected 64 hex digits");
  bad ("SHA1(a)= " SHA256_HELLO, "x.mf: line 1: SHA1(a): expected 40 hex digits");
  bad ("SHA1(a)= zz72d396fae9206628714fb2ce00f72e94f2258f",
       "SHA1(a): expected 40 hex digits");
  bad ("SHA1(../etc/passwd)= " SHA1_HELLO, "SHA1(../etc/passwd): unsafe file name");
  bad ("SHA1(/etc/passwd)= " SHA1_HELLO, "SHA1(/etc/passwd): unsafe file name");
  bad ("SHA1()= " SHA1_HELLO, "unsafe file name");
  bad ("SHA1(a)= " SHA1_HELLO "\nSHA256(a)= " SHA256_HELLO,
       "x.mf: line 2: a is listed twice");
  {
    const char text[] = "SHA1(a)= " SHA1_HELLO "\n\0SHA1(b)= " SHA1_HELLO;
    struct mf *mf;
    h2k_clear_error ();
    mf = mf_parse (text, sizeof text - 1, "x.mf");
    CHECK (mf == NULL);
    CHECK (h2k_first_error () && strstr (h2k_first_error (), "x.mf: contains a NUL byte"));
    mf_free (mf);
  }
}

TEST (empty)
{
  const char *err;
  struct mf *mf = parse ("\n\r\n", &err);
  const char *w = "x";

  CHECK (mf != NULL);
  if (mf) {
    CHECK_INT (mf->n, 0);
    CHECK_INT (mf_verify (mf, "/nonexistent", "x.mf", &w), 0);
    CHECK (w == NULL);
  }
  mf_free (mf);
}

static char tmpdir[64];

static void
write_file (const char *name, const char *content)
{
  char path[256];
  FILE *fp;

  snprintf (path, sizeof path, "%s/%s", tmpdir, name);
  fp = fopen (path, "w");
  if (fp == NULL || fputs (content, fp) == EOF || fclose (fp) != 0)
    abort ();
}

static void
verify_case (const char *text, int want_r, const char *want_algo,
             const char *want_err)
{
  const char *err, *w = NULL;
  struct mf *mf = parse (text, &err);
  int r;

  CHECK (mf != NULL);
  if (mf == NULL)
    return;
  h2k_clear_error ();
  r = mf_verify (mf, tmpdir, "p.ova: p.mf", &w);
  err = h2k_first_error ();
  CHECK_INT (r, want_r);
  if (want_r == 0)
    CHECK_STR (w, want_algo);
  else {
    if (err == NULL || strstr (err, want_err) == NULL)
      printf ("# wanted \"%s\", got \"%s\"\n", want_err, err ? err : "(none)");
    CHECK (err && strstr (err, want_err));
  }
  mf_free (mf);
}

TEST (verify)
{
  snprintf (tmpdir, sizeof tmpdir, "/tmp/h2k-test-mf-XXXXXX");
  if (mkdtemp (tmpdir) == NULL)
    abort ();
  write_file ("disk1.vmdk", "hello\n");
  write_file ("p.ovf", "hello\n");

  verify_case ("SHA256(disk1.vmdk)= " SHA256_HELLO "\n", 0, "sha256", NULL);
  verify_case ("SHA512(disk1.vmdk)= " SHA512_HELLO "\n", 0, "sha512", NULL);
  /* Mixed: the weakest is what every file was verified with. */
  verify_case ("SHA256(disk1.vmdk)= " SHA256_HELLO "\nSHA1(p.ovf)= " SHA1_HELLO "\n",
               0, "sha1", NULL);
  verify_case ("SHA256(disk1.vmdk)= " SHA256_HELLO "\n"
               "SHA256(p.ovf)= 0000000000000000000000000000000000000000000000000000000000000000\n",
               -1, NULL, "p.ova: p.mf: SHA256(p.ovf): digest mismatch");
  verify_case ("SHA1(disk1.vmdk)= 0000000000000000000000000000000000000000\n",
               -1, NULL, "p.ova: p.mf: SHA1(disk1.vmdk): digest mismatch");
  verify_case ("SHA256(disk2.vmdk)= " SHA256_HELLO "\n",
               -1, NULL, "p.ova: p.mf: SHA256(disk2.vmdk): listed file is missing");

  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system (cmd) != 0)
    abort ();
}

/* The real manifests of the corpus. */
TEST (corpus)
{
  const char *env = getenv ("H2K_CORPUS");
  char path[4096];
  struct mf *mf;

  snprintf (path, sizeof path, "%s/ovf/cot/input.mf",
            env ? env : SRCDIR "/../shared/corpus");
  if (access (path, R_OK) != 0) {
    SKIP ("corpus not found at %s", path);
    return;
  }
  mf = mf_parse_file (path, "input.mf");
  CHECK (mf != NULL);
  if (mf) {
    CHECK_INT (mf->n, 4);
    CHECK_STR (mf->entries[1].file, "input.vmdk");
    CHECK_STR (mf->entries[1].algo, "sha1");
    CHECK_STR (mf->entries[1].hex, "264caaa216ad928f82f727bb06d8e6e6fbd94df0");
    mf_free (mf);
  }
  snprintf (path, sizeof path, "%s/ovf/cot/ubuntu.2.0.mf",
            env ? env : SRCDIR "/../shared/corpus");
  mf = mf_parse_file (path, "ubuntu.2.0.mf");
  CHECK (mf != NULL);
  if (mf) {
    CHECK_INT (mf->n, 2);
    CHECK_STR (mf->entries[0].file, "ubuntu.2.0.ovf");
    CHECK_STR (mf->entries[0].algo, "sha256");
    mf_free (mf);
  }
}

int
main (void)
{
  RUN (good);
  RUN (variants);
  RUN (malformed);
  RUN (empty);
  RUN (verify);
  RUN (corpus);
  return test_done ();
}
