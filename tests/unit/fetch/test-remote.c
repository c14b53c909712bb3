/* Unit tests for URL sources: URL parsing, default names and secrets
 * (tools/h2k-fetch/remote.c), and resumable part files (partial.c).
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "test.h"
#include "../../../tools/h2k-fetch/remote.h"

static const char *
parse_err (const char *s)
{
  struct remote_url u;

  h2k_clear_error ();
  if (remote_url_parse (s, &u) == 0) {
    remote_url_free (&u);
    return NULL;
  }
  return h2k_first_error ();
}

TEST (is_url)
{
  CHECK (remote_is_url ("https://h/x.ova"));
  CHECK (remote_is_url ("HTTP://h/x.ova"));
  CHECK (remote_is_url ("ssh://root@esxi/vmfs/volumes/ds/vm/vm.vmx"));
  CHECK (remote_is_url ("sftp://h/x"));
  CHECK (!remote_is_url ("ftp://h/x"));
  CHECK (!remote_is_url ("/local/https://x"));
  CHECK (!remote_is_url ("https:/h/x"));
  CHECK (!remote_is_url ("web01.ova"));
}

TEST (parse_plain)
{
  struct remote_url u;

  CHECK (remote_url_parse ("HTTPS://Host.example:8443/exports/web%2001.ova?sig=abc#frag", &u) == 0);
  CHECK_STR (u.scheme, "https");
  CHECK (u.user == NULL);
  CHECK_STR (u.host, "Host.example");
  CHECK_INT (u.port, 8443);
  CHECK_STR (u.path, "/exports/web 01.ova");
  CHECK_STR (u.request_path, "/exports/web%2001.ova?sig=abc");
  /* The display form: decoded path, no query (it may hold a signature). */
  CHECK_STR (u.display, "https://Host.example:8443/exports/web 01.ova");
  remote_url_free (&u);
}

TEST (parse_user_ipv6)
{
  struct remote_url u;

  CHECK (remote_url_parse ("ssh://root@[::1]:2222/vmfs/volumes/ds1/vm/vm.vmx", &u) == 0);
  CHECK_STR (u.user, "root");
  CHECK_STR (u.host, "::1");
  CHECK_INT (u.port, 2222);
  CHECK_STR (u.path, "/vmfs/volumes/ds1/vm/vm.vmx");
  CHECK_STR (u.display, "ssh://root@[::1]:2222/vmfs/volumes/ds1/vm/vm.vmx");
  remote_url_free (&u);

  CHECK (remote_url_parse ("http://a%40b@127.0.0.1/x.qcow2", &u) == 0);
  CHECK_STR (u.user, "a@b");
  CHECK_INT (u.port, 0);
  remote_url_free (&u);
}

TEST (parse_errors)
{
  const char *e;

  e = parse_err ("https://alice:s3cret@host/x.ova");
  CHECK (e && strstr (e, "--password-file") != NULL);
  CHECK (e && strstr (e, "s3cret") == NULL);
  CHECK (e && strstr (e, "https://alice@host/x.ova") != NULL);
  e = parse_err ("https://alice:s3cret@host/x.ova?token=t0k");
  CHECK (e && strstr (e, "s3cret") == NULL && strstr (e, "t0k") == NULL);
  CHECK (parse_err ("https:///x.ova") != NULL);
  CHECK (parse_err ("https://host") != NULL);
  CHECK (parse_err ("https://host/") != NULL);
  CHECK (parse_err ("https://host/dir/") != NULL);
  CHECK (parse_err ("https://host:0/x") != NULL);
  CHECK (parse_err ("https://host:65536/x") != NULL);
  CHECK (parse_err ("https://host:12a/x") != NULL);
  CHECK (parse_err ("https://[::1/x") != NULL);
  CHECK (parse_err ("https://host/a%2") != NULL);
  CHECK (parse_err ("https://host/a%00b") != NULL);
  CHECK (parse_err ("https://host/a%0ab") != NULL);
  CHECK (parse_err ("https://host/a b") != NULL);
  CHECK (parse_err ("https://@host/x") != NULL);
  CHECK (parse_err ("gopher://host/x") != NULL);
}

TEST (vsphere_kind)
{
  struct remote_url u;
  const char *e;

  /* Each kind takes only its own schemes. */
  CHECK (remote_url_is ("ESXI://root@host", REMOTE_URL_VSPHERE));
  CHECK (!remote_url_is ("https://h/x.ova", REMOTE_URL_VSPHERE));
  CHECK (!remote_url_is ("vsphere://vc/DC1", REMOTE_URL_FILE));
  CHECK (!remote_is_url ("vsphere://vc/DC1"));
  h2k_clear_error ();
  CHECK (remote_url_parse ("vsphere://vc/DC1", &u) == -1);
  CHECK (remote_url_parse_as ("https://h/x.ova", REMOTE_URL_VSPHERE, &u) == -1);

  /* An inventory path: no leading or trailing '/', possibly empty. */
  CHECK (remote_url_parse_as ("vSphere://svc@vc2.example//DC2/vm/web%2002/",
                              REMOTE_URL_VSPHERE, &u) == 0);
  CHECK_STR (u.scheme, "vsphere");
  CHECK (strcmp (u.path, "DC2/vm/web 02") == 0 && u.port == 0);
  CHECK_STR (u.display, "vsphere://svc@vc2.example/DC2/vm/web 02");
  remote_url_free (&u);
  CHECK (remote_url_parse_as ("esxi://127.0.0.1", REMOTE_URL_VSPHERE, &u) == 0);
  CHECK_STR (u.path, "");
  CHECK_STR (u.display, "esxi://127.0.0.1/");
  remote_url_free (&u);

  /* Refused: a query or fragment, a bracketed or odd host, a password
   * (not shown).
   */
  h2k_clear_error ();
  CHECK (remote_url_parse_as ("vsphere://vc/x?y", REMOTE_URL_VSPHERE, &u) == -1);
  e = h2k_first_error ();
  CHECK (e && strstr (e, "'?' or '#'") != NULL);
  CHECK (remote_url_parse_as ("vsphere://vc/x#y", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://[::1]/x", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://v_c/x", REMOTE_URL_VSPHERE, &u) == -1);
  h2k_clear_error ();
  CHECK (remote_url_parse_as ("vsphere://admin:hunter2@vc/DC1", REMOTE_URL_VSPHERE,
                              &u) == -1);
  e = h2k_first_error ();
  CHECK (e && strstr (e, "--password-env") != NULL);
  CHECK (e && strstr (e, "hunter2") == NULL);
}

TEST (default_name)
{
  char *n;

  n = remote_default_name ("https://h/exports/web01.ova");
  CHECK_STR (n, "web01");
  free (n);
  n = remote_default_name ("https://h/a/my%20vm.disk.qcow2?x=1");
  CHECK_STR (n, "my vm.disk");
  free (n);
  n = remote_default_name ("sftp://h/.hidden");
  CHECK_STR (n, ".hidden");
  free (n);
  h2k_clear_error ();
  CHECK (remote_default_name ("https://h/") == NULL);
}

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  char *p;

  if (asprintf (&p, "%s/%s", tmpdir, name) == -1)
    abort ();
  return p;
}

static void
write_file (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");

  if (fp == NULL)
    abort ();
  fputs (text, fp);
  fclose (fp);
}

TEST (secrets)
{
  char *s = NULL, *f = tmp_path ("pw"), *e = tmp_path ("empty");

  write_file (f, "p4ss word\r\nsecond line\n");
  write_file (e, "\n");
  CHECK (remote_secret_load (f, NULL, "--password-file", &s) == 0);
  CHECK_STR (s, "p4ss word");
  remote_secret_free (&s);
  CHECK (s == NULL);
  h2k_clear_error ();
  CHECK (remote_secret_load (e, NULL, "--password-file", &s) == -1);
  CHECK (h2k_first_error () && strstr (h2k_first_error (), "empty"));
  h2k_clear_error ();
  CHECK (remote_secret_load ("/nonexistent/pw", NULL, "--password-file", &s) == -1);
  setenv ("H2K_TEST_SECRET", "t0ken", 1);
  CHECK (remote_secret_load (NULL, "H2K_TEST_SECRET", "--token-env", &s) == 0);
  CHECK_STR (s, "t0ken");
  remote_secret_free (&s);
  setenv ("H2K_TEST_SECRET", "", 1);
  h2k_clear_error ();
  CHECK (remote_secret_load (NULL, "H2K_TEST_SECRET", "--token-env", &s) == -1);
  unsetenv ("H2K_TEST_SECRET");
  h2k_clear_error ();
  CHECK (remote_secret_load (NULL, "H2K_TEST_SECRET", "--token-env", &s) == -1);
  CHECK (h2k_first_error () && strstr (h2k_first_error (), "not set"));
  CHECK (remote_secret_load (NULL, NULL, "--token-env", &s) == 0);
  CHECK (s == NULL);
  remote_secret_free (&s);
  free (f);
  free (e);
}

/* Fill chunk C of P: one non-zero 4 KiB block at its start, zeros
 * elsewhere (written in pieces, as curl delivers them).
 */
static int
fill_chunk (struct partial *p, size_t c)
{
  static unsigned char buf[1 << 20];
  uint64_t off, len;

  partial_chunk_range (p, c, &off, &len);
  for (uint64_t done = 0; done < len; ) {
    size_t n = len - done < sizeof buf ? (size_t) (len - done) : sizeof buf;
    memset (buf, 0, n);
    if (done == 0)
      memset (buf, 'a' + (int) c, n < 4096 ? n : 4096);
    if (partial_write (p, off + done, buf, n) == -1)
      return -1;
    done += n;
  }
  return partial_chunk_done (p, c);
}

#define SIZE ((uint64_t) 2 * PARTIAL_CHUNK + 100)

TEST (partial_resume)
{
  char *dest = tmp_path ("disk.raw"), *part = tmp_path ("disk.raw.part");
  char *state = tmp_path ("disk.raw.part.state");
  struct partial *p;
  struct stat st;
  int complete;
  uint64_t off, len;

  p = partial_open (dest, "http://h/disk.raw", SIZE, "etag:\"1\"", &complete);
  CHECK (p != NULL && !complete);
  if (p == NULL)
    return;
  CHECK_INT (partial_nchunks (p), 3);
  partial_chunk_range (p, 2, &off, &len);
  CHECK_INT (off, 2 * (uint64_t) PARTIAL_CHUNK);
  CHECK_INT (len, 100);
  CHECK (fill_chunk (p, 0) == 0);
  CHECK (partial_chunk_is_done (p, 0) && !partial_chunk_is_done (p, 1));
  /* More than announced. */
  h2k_clear_error ();
  CHECK (partial_write (p, SIZE - 1, "ab", 2) == -1);
  partial_close (p);                    /* as if killed */
  CHECK (access (state, F_OK) == 0);

  /* The same file: chunk 0 is kept. */
  p = partial_open (dest, "http://h/disk.raw", SIZE, "etag:\"1\"", &complete);
  CHECK (p != NULL && !complete);
  if (p == NULL)
    return;
  CHECK_INT (partial_resumed (p), PARTIAL_CHUNK);
  CHECK (partial_chunk_is_done (p, 0));
  CHECK (fill_chunk (p, 1) == 0 && fill_chunk (p, 2) == 0);
  CHECK (partial_commit (p, NULL, NULL) == 0);
  partial_close (p);
  CHECK (stat (dest, &st) == 0);
  CHECK_INT (st.st_size, SIZE);
  /* Zero blocks were not written: a few blocks of data only. */
  CHECK (st.st_blocks * 512 < 1024 * 1024);
  CHECK (access (part, F_OK) == -1 && access (state, F_OK) == -1);

  /* Finished: a rerun has nothing to do. */
  p = partial_open (dest, "http://h/disk.raw", SIZE, "etag:\"1\"", &complete);
  CHECK (p != NULL && complete);
  CHECK_INT (p ? partial_resumed (p) : 0, SIZE);
  partial_close (p);
  free (dest);
  free (part);
  free (state);
}

TEST (partial_identity_changed)
{
  char *dest = tmp_path ("changed.raw");
  struct partial *p;
  int complete;

  p = partial_open (dest, "http://h/changed.raw", SIZE, "etag:\"1\"", &complete);
  CHECK (p && fill_chunk (p, 0) == 0);
  partial_close (p);
  /* Another ETag: start from nothing. */
  p = partial_open (dest, "http://h/changed.raw", SIZE, "etag:\"2\"", &complete);
  CHECK (p != NULL && !complete);
  CHECK_INT (p ? partial_resumed (p) : 1, 0);
  CHECK (p && !partial_chunk_is_done (p, 0));
  partial_close (p);
  /* Another size: the same. */
  p = partial_open (dest, "http://h/changed.raw", SIZE + 1, "etag:\"2\"", &complete);
  CHECK (p && partial_resumed (p) == 0);
  partial_close (p);
  /* No validator: never resumed across runs. */
  p = partial_open (dest, "http://h/changed.raw", SIZE, "", &complete);
  CHECK (p && fill_chunk (p, 0) == 0);
  partial_close (p);
  p = partial_open (dest, "http://h/changed.raw", SIZE, "", &complete);
  CHECK (p && partial_resumed (p) == 0);
  partial_close (p);
  free (dest);
}

TEST (partial_digest)
{
  char *dest = tmp_path ("small.bin"), *part = tmp_path ("small.bin.part");
  /* sha256 of "hello\n" */
  const char *good = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  char hex[65] = "";
  struct partial *p;
  int complete;

  p = partial_open (dest, "http://h/small.bin", 6, "date:x", &complete);
  CHECK (p && partial_write (p, 0, "hello\n", 6) == 0 &&
         partial_chunk_done (p, 0) == 0);
  h2k_clear_error ();
  CHECK (p && partial_commit (p, "00", NULL) == -1);
  CHECK (h2k_first_error () && strstr (h2k_first_error (), "sha256 mismatch"));
  CHECK (access (part, F_OK) == -1 && access (dest, F_OK) == -1);
  partial_close (p);

  p = partial_open (dest, "http://h/small.bin", 6, "date:x", &complete);
  CHECK (p && partial_write (p, 0, "hello\n", 6) == 0 &&
         partial_chunk_done (p, 0) == 0);
  CHECK (p && partial_commit (p, good, hex) == 0);
  CHECK_STR (hex, good);
  partial_close (p);
  /* The digest is remembered with the identity. */
  p = partial_open (dest, "http://h/small.bin", 6, "date:x", &complete);
  CHECK (p && complete);
  CHECK_STR (p ? partial_sha256 (p) : NULL, good);
  partial_close (p);
  free (dest);
  free (part);
}

TEST (partial_errors_name_url)
{
  char *dest = tmp_path ("nodir/x.raw");
  struct partial *p;
  const char *e;
  int complete;

  h2k_clear_error ();
  p = partial_open (dest, "http://h/x.raw", SIZE, "etag:\"1\"", &complete);
  CHECK (p == NULL);
  e = h2k_first_error ();
  CHECK (e && strncmp (e, "http://h/x.raw: ", 16) == 0);
  CHECK (e && strstr (e, "/nodir"));  /* the state, saved first, names it */
  partial_close (p);
  free (dest);
}

TEST (plan_reads)
{
  CHECK (remote_plan_reads ("/t/a/x.vmdk", 1000));
  CHECK (remote_plan_reads ("/t/x.vmdk", REMOTE_PLAN_DESCRIPTOR_MAX));
  CHECK (!remote_plan_reads ("/t/x.vmdk", REMOTE_PLAN_DESCRIPTOR_MAX + 1));
  CHECK (remote_plan_reads ("/t/x.ovf", 1 << 20));
  CHECK (remote_plan_reads ("/t/X.VMX", 10));
  CHECK (!remote_plan_reads ("/t/x.ovf", (uint64_t) REMOTE_PLAN_TEXT_MAX + 1));
  CHECK (!remote_plan_reads ("/t/x.raw", 10));
  CHECK (!remote_plan_reads ("/t/x.mf", 10));
}

int
main (void)
{
  h2k_set_progname ("test-remote");
  tmpdir = h2k_make_temp_dir ("test-remote");
  if (tmpdir == NULL)
    return 1;
  RUN (is_url);
  RUN (parse_plain);
  RUN (parse_user_ipv6);
  RUN (parse_errors);
  RUN (vsphere_kind);
  RUN (default_name);
  RUN (secrets);
  RUN (partial_resume);
  RUN (partial_identity_changed);
  RUN (partial_digest);
  RUN (partial_errors_name_url);
  RUN (plan_reads);
  h2k_remove_tree (tmpdir);
  free (tmpdir);
  remote_free ();
  return test_done ();
}
