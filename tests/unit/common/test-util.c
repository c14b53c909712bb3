/* Unit tests: running commands, atomic publish, digests, sizes, paths. */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "test.h"

static int quiet_fd = -1, saved_fd = -1;

static void
quiet (void)
{
  fflush (stderr);
  saved_fd = dup (2);
  quiet_fd = open ("/dev/null", O_WRONLY);
  dup2 (quiet_fd, 2);
}

static void
loud (void)
{
  fflush (stderr);
  dup2 (saved_fd, 2);
  close (saved_fd);
  close (quiet_fd);
  h2k_clear_error ();
}

TEST (run_captures)
{
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };

  CHECK_INT (h2k_run (argv, H2K_RUN_OUT | H2K_RUN_ERR, &r), 0);
  CHECK_INT (r.status, 3);
  CHECK_STR (r.out, "out\n");
  CHECK_STR (r.err, "err\n");
}

TEST (run_no_shell_interpolation)
{
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  const char *argv[] = { "echo", "$HOME; rm -rf /", NULL };

  CHECK_INT (h2k_run (argv, H2K_RUN_OUT, &r), 0);
  CHECK_STR (r.out, "$HOME; rm -rf /\n");
}

TEST (run_ok_reports_last_stderr_line)
{
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  const char *argv[] = { "sh", "-c", "echo first >&2; echo the reason >&2; exit 1", NULL };

  quiet ();
  CHECK_INT (h2k_run_ok (argv, 0, &r), -1);
  CHECK (h2k_first_error () && strcmp (h2k_first_error (), "sh failed (exit 1): the reason") == 0);
  loud ();
}

TEST (run_missing_program)
{
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  const char *argv[] = { "h2k-no-such-program", NULL };

  quiet ();
  CHECK_INT (h2k_run (argv, 0, &r), -1);
  CHECK (h2k_first_error () && strstr (h2k_first_error (), "command not found"));
  loud ();
}

TEST (run_large_output)
{
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  const char *argv[] = { "head", "-c", "3000000", "/dev/zero", NULL };

  CHECK_INT (h2k_run (argv, H2K_RUN_OUT | H2K_RUN_ERR, &r), 0);
  CHECK_INT (r.out_len, 3000000);
}

TEST (argv_to_string_quotes)
{
  const char *argv[] = { "qemu-img", "info", "a b", "it's", NULL };
  CLEANUP_FREE char *s = h2k_argv_to_string (argv);

  CHECK_STR (s, "qemu-img info 'a b' 'it'\\''s'");
}

static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int n = 0;

  while (d && (e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      n++;
  if (d)
    closedir (d);
  return n;
}

TEST (publish_commit_and_abort)
{
  char dir[] = "/tmp/h2k-pub-XXXXXX";
  CLEANUP_FREE char *dest = NULL, *data = NULL;
  struct h2k_publish p = H2K_PUBLISH_INIT;
  struct stat st;
  size_t len;

  CHECK (mkdtemp (dir) != NULL);
  CHECK (asprintf (&dest, "%s/out.json", dir) > 0);

  /* Abort leaves nothing behind. */
  CHECK_INT (h2k_publish_begin (dest, &p), 0);
  CHECK (write (p.fd, "partial", 7) == 7);
  CHECK_INT (count_entries (dir), 1);
  h2k_publish_abort (&p);
  CHECK_INT (count_entries (dir), 0);

  /* Commit after a command wrote the temporary file by name. */
  CHECK_INT (h2k_publish_begin (dest, &p), 0);
  close (p.fd);
  p.fd = -1;
  FILE *fp = fopen (p.tmp, "w");
  CHECK (fp != NULL);
  fputs ("whole", fp);
  fclose (fp);
  CHECK_INT (h2k_publish_commit (&p), 0);
  h2k_publish_abort (&p);       /* harmless after commit */
  data = h2k_read_file (dest, 100, &len);
  CHECK_STR (data, "whole");
  CHECK_INT (count_entries (dir), 1);
  CHECK_INT (stat (dest, &st), 0);
  CHECK ((st.st_mode & 0777) == (0644 & ~(mode_t) 022) || (st.st_mode & 0644) != 0);

  CHECK_INT (h2k_publish_buffer (dest, "again", 5), 0);
  free (data);
  data = h2k_read_file (dest, 100, &len);
  CHECK_STR (data, "again");
  unlink (dest);
  rmdir (dir);
}

TEST (publish_into_missing_dir_fails)
{
  struct h2k_publish p = H2K_PUBLISH_INIT;

  quiet ();
  CHECK_INT (h2k_publish_begin ("/nonexistent-h2k/x", &p), -1);
  loud ();
  CHECK (p.tmp == NULL && p.fd == -1);
}

TEST (digests)
{
  char hex[H2K_DIGEST_HEX_MAX];

  CHECK_INT (h2k_digest_buffer ("abc", 3, "sha256", hex), 0);
  CHECK_STR (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_INT (h2k_digest_buffer ("abc", 3, "sha1", hex), 0);
  CHECK_STR (hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK_INT (h2k_digest_file ("/dev/null", "sha256", hex), 0);
  CHECK_STR (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  quiet ();
  CHECK_INT (h2k_digest_buffer ("abc", 3, "md17", hex), -1);
  CHECK_INT (h2k_digest_file ("/nonexistent-h2k", "sha256", hex), -1);
  loud ();
  CHECK (h2k_is_hex ("00ff", 4));
  CHECK (!h2k_is_hex ("00fg", 4));
  CHECK (!h2k_is_hex ("00ff", 3));
}

TEST (sizes)
{
  char buf[H2K_HUMAN_SIZE_LEN];
  uint64_t v;

  CHECK_STR (h2k_human_size (buf, 0), "0");
  CHECK_STR (h2k_human_size (buf, 1023), "1023");
  CHECK_STR (h2k_human_size (buf, 1024), "1.0K");
  CHECK_STR (h2k_human_size (buf, 1536), "1.5K");
  CHECK_STR (h2k_human_size (buf, 8ULL << 30), "8.0G");
  CHECK_STR (h2k_human_size (buf, (1ULL << 20) - 1), "1.0M");
  CHECK_STR (h2k_human_size (buf, UINT64_MAX), "16.0E");
  CLEANUP_FREE char *alloc = h2k_human_size (NULL, 3ULL << 40);
  CHECK_STR (alloc, "3.0T");

  CHECK (h2k_parse_size ("4096", &v) == 0 && v == 4096);
  CHECK (h2k_parse_size ("512K", &v) == 0 && v == 512 * 1024);
  CHECK (h2k_parse_size ("8G", &v) == 0 && v == 8ULL << 30);
  CHECK (h2k_parse_size ("2MiB", &v) == 0 && v == 2ULL << 20);
  CHECK (h2k_parse_size ("1.5T", &v) == 0 && v == 3ULL << 39);
  CHECK (h2k_parse_size ("", &v) == -1);
  CHECK (h2k_parse_size ("-1", &v) == -1);
  CHECK (h2k_parse_size ("12Q", &v) == -1);
  CHECK (h2k_parse_size ("1.5", &v) == -1);
  CHECK (h2k_parse_size ("99999999999999999999", &v) == -1);
  CHECK (h2k_parse_size ("16777216T", &v) == -1);
}

TEST (paths)
{
  CLEANUP_FREE char *a = h2k_path_join ("/a/b", "c.vmdk");
  CLEANUP_FREE char *b = h2k_path_join ("/a/b/", "c.vmdk");
  CLEANUP_FREE char *c = h2k_path_join ("/a/b", "/abs.vmdk");
  CLEANUP_FREE char *d = h2k_dirname ("/a/b/c.vmx");
  CLEANUP_FREE char *e = h2k_absolute_path ("/x/y");
  char s[] = "  padded \t\n";

  CHECK_STR (a, "/a/b/c.vmdk");
  CHECK_STR (b, "/a/b/c.vmdk");
  CHECK_STR (c, "/abs.vmdk");
  CHECK_STR (d, "/a/b");
  CHECK_STR (e, "/x/y");
  CHECK_STR (h2k_trim (s), "padded");
  CHECK (h2k_ends_with_ci ("Disk.VMDK", ".vmdk"));
  CHECK (!h2k_ends_with_ci ("k", ".vmdk"));
}

/* The raw join keeps the name as written, as qemu does. */
TEST (paths_raw)
{
  CLEANUP_FREE char *a = h2k_path_join_raw ("/srv/in", "L/../etc/x");
  CLEANUP_FREE char *b = h2k_path_join_raw ("/srv/in/", "./a//b");
  CLEANUP_FREE char *c = h2k_path_join_raw ("/", "x.vmdk");
  CLEANUP_FREE char *d = h2k_path_join_raw ("/srv/in", "/abs/../y");
  CLEANUP_FREE char *e = h2k_path_join_raw ("/srv/in", "\\\\h/x");

  CHECK_STR (a, "/srv/in/L/../etc/x");
  CHECK_STR (b, "/srv/in/./a//b");
  CHECK_STR (c, "/x.vmdk");
  CHECK_STR (d, "/abs/../y");
  CHECK_STR (e, "/srv/in/\\\\h/x");
}

/* Lexical normalisation, in place and through join/absolute_path. */
static void
check_norm (const char *in, const char *want)
{
  char *s = strdup (in);

  if (s == NULL)
    abort ();
  h2k_path_normalize (s);
  if (strcmp (s, want) != 0) {
    printf ("# normalize \"%s\": \"%s\", expected \"%s\"\n", in, s, want);
    test_cur_failed = 1;
  }
  free (s);
}

TEST (paths_normalized)
{
  CLEANUP_FREE char *a = h2k_path_join ("/srv/in/", "sub/../disk.vmdk");
  CLEANUP_FREE char *b = h2k_path_join ("/srv//in/.", "./a/./b//c");
  CLEANUP_FREE char *c = h2k_path_join ("/srv/in", "/x/../../y");
  CLEANUP_FREE char *d = h2k_absolute_path ("/vm/../vm/x.ovf");
  CLEANUP_FREE char *e = h2k_absolute_path ("./x/../y.vmx");
  CLEANUP_FREE char *cwd = getcwd (NULL, 0);
  CLEANUP_FREE char *want = NULL;

  CHECK_STR (a, "/srv/in/disk.vmdk");
  CHECK_STR (b, "/srv/in/a/b/c");
  CHECK_STR (c, "/y");
  CHECK_STR (d, "/vm/x.ovf");
  CHECK (cwd != NULL && asprintf (&want, "%s/y.vmx", strcmp (cwd, "/") ? cwd : "") > 0);
  CHECK_STR (e, want);
  check_norm ("/", "/");
  check_norm ("//", "/");
  check_norm ("/..", "/");
  check_norm ("/../a/", "/a");
  check_norm ("/a/b/../../..", "/");
  check_norm ("/a/./b/.", "/a/b");
  check_norm ("/a/b/..", "/a");
  check_norm ("/a/..b/c..", "/a/..b/c..");
  check_norm ("/.a/...", "/.a/...");
  check_norm ("", "");
  check_norm (".", ".");
  check_norm ("./", ".");
  check_norm ("a/..", ".");
  check_norm ("a/../..", "..");
  check_norm ("../../a/../b", "../../b");
  check_norm ("../a/../../b/", "../../b");
  check_norm ("a//b///c/", "a/b/c");
}

int
main (void)
{
  h2k_set_progname ("test-util");
  RUN (run_captures);
  RUN (run_no_shell_interpolation);
  RUN (run_ok_reports_last_stderr_line);
  RUN (run_missing_program);
  RUN (run_large_output);
  RUN (argv_to_string_quotes);
  RUN (publish_commit_and_abort);
  RUN (publish_into_missing_dir_fails);
  RUN (digests);
  RUN (sizes);
  RUN (paths);
  RUN (paths_normalized);
  RUN (paths_raw);
  return test_done ();
}
