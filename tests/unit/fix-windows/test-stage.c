/* h2k-fix-windows: staging whole virtio-win driver packages and finding
 * the guest agent MSI (drivers.c), from the fake virtio-win tree and its
 * ISO ($H2K_TEST_IMAGES/virtio-win-fake: skipped when it is missing), and
 * from small trees made here (the older ARCH/OS/ layout, fallbacks).
 */

#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

static char tmpdir[] = "/tmp/h2k-test-stage.XXXXXX";
static char fake[512];

static int
rm_one (const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return flag == FTW_DP ? rmdir (p) : unlink (p);
}

static void
rm_rf (const char *dir)
{
  nftw (dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new empty directory under tmpdir. */
static char *
new_dir (const char *name)
{
  char *d;

  if (asprintf (&d, "%s/%s", tmpdir, name) == -1)
    exit (1);
  rm_rf (d);
  if (mkdir (d, 0755) == -1)
    exit (1);
  return d;
}

/* The names in DIR, sorted, joined by ' '. */
static const char *
listing (const char *dir)
{
  static char buf[4096];
  struct dirent **ents;
  int n = scandir (dir, &ents, NULL, alphasort);

  *buf = 0;
  for (int i = 0; i < n; ++i) {
    if (ents[i]->d_name[0] != '.' || (strcmp (ents[i]->d_name, ".") != 0 &&
                                      strcmp (ents[i]->d_name, "..") != 0))
      snprintf (buf + strlen (buf), sizeof buf - strlen (buf), "%s%s",
                *buf ? " " : "", ents[i]->d_name);
    free (ents[i]);
  }
  if (n >= 0)
    free (ents);
  else
    snprintf (buf, sizeof buf, "(none)");
  return buf;
}

static void
put_file (const char *root, const char *rel, const char *content)
{
  CLEANUP_FREE char *p = NULL, *d = NULL;
  FILE *fp;

  if (asprintf (&p, "%s/%s", root, rel) == -1 || (d = h2k_dirname (p)) == NULL ||
      h2k_mkdir_p (d) == -1 || (fp = fopen (p, "w")) == NULL)
    exit (1);
  fputs (content, fp);
  if (fclose (fp) != 0)
    exit (1);
}

/* Run win_stage_packages with stderr captured: "ERR: message" or one line
 * per package "driver rel_dir inf: files", followed by the warnings
 * ("W: ...", the source path replaced by SRC).  Each staged file is
 * checked against its source (content and sha256) when SRC_TREE is set.
 */
static char *
stage (const char *src, const char *src_tree, int64_t build, int server,
       const char *arch, const char *required, const char *dest)
{
  struct win_id w = { .build = build, .server = server, .arch = arch };
  struct win_pkg *pkgs = NULL;
  size_t n = 0;
  char *out = NULL, *line;
  size_t len = 0;
  FILE *mem = open_memstream (&out, &len);
  char errpath[600];
  int saved = dup (2), fd, r;
  CLEANUP_FREE char *errs = NULL;

  snprintf (errpath, sizeof errpath, "%s/stderr", tmpdir);
  fflush (stderr);
  fd = open (errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2 (fd, 2);
  close (fd);
  h2k_clear_error ();
  r = win_stage_packages (src, &w, required, dest, &pkgs, &n);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  if (r == -1) {
    fprintf (mem, "ERR: %s\n", h2k_first_error ());
    CHECK (pkgs == NULL && n == 0);
  }
  for (size_t i = 0; r == 0 && i < n; ++i) {
    struct win_pkg *p = &pkgs[i];
    CLEANUP_FREE char *want_dir = h2k_path_join (dest, p->driver);
    size_t nf = 0;

    CHECK_STR (p->local_dir, want_dir);
    fprintf (mem, "%s %s %s:", p->driver, p->rel_dir, p->inf);
    for (; p->files[nf]; ++nf) {
      CLEANUP_FREE char *loc = h2k_path_join (p->local_dir, p->files[nf]);
      CLEANUP_FREE char *orig = NULL, *a = NULL, *b = NULL;
      char hex[65];

      fprintf (mem, " %s", p->files[nf]);
      CHECK (strlen (p->sha256[nf]) == 64);
      CHECK (h2k_sha256_file (loc, hex) == 0 && strcmp (hex, p->sha256[nf]) == 0);
      if (src_tree == NULL)
        continue;
      if (asprintf (&orig, "%s/%s/%s", src_tree, p->rel_dir, p->files[nf]) == -1)
        exit (1);
      CHECK (h2k_sha256_file (orig, hex) == 0 && strcmp (hex, p->sha256[nf]) == 0);
      a = h2k_read_file (orig, 1 << 20, NULL);
      b = h2k_read_file (loc, 1 << 20, NULL);
      CHECK (a && b && strcmp (a, b) == 0);
    }
    CHECK (p->sha256[nf] == NULL);
    /* Exactly those files, no .pdb. */
    {
      char names[4096] = "";
      for (size_t j = 0; j < nf; ++j)
        snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s",
                  j ? " " : "", p->files[j]);
      CHECK_STR (listing (p->local_dir), names);
    }
    fprintf (mem, "\n");
  }
  win_pkgs_free (pkgs, n);
  errs = h2k_read_file (errpath, 1 << 20, NULL);
  for (char *s = errs, *save = NULL; errs && (line = strtok_r (s, "\n", &save)); s = NULL) {
    const char *w2 = strstr (line, "warning: ");
    const char *p = w2 ? strstr (w2, src) : NULL;
    if (w2 && p)
      fprintf (mem, "W: SRC%s\n", p + strlen (src));
  }
  h2k_clear_error ();
  fclose (mem);
  return out;
}

#define CHECK_STAGE(expr, want) \
  do { char *s_ = (expr); CHECK_STR (s_, want); free (s_); } while (0)

static const char w7_amd64[] =
  "viostor viostor/w7/amd64 viostor.inf: viostor.cat viostor.inf viostor.sys\n"
  "vioscsi vioscsi/w7/amd64 vioscsi.inf: vioscsi.cat vioscsi.inf vioscsi.sys\n"
  "netkvm NetKVM/w7/amd64 netkvm.inf: netkvm.cat netkvm.inf netkvm.sys netkvmco.dll readme.doc\n"
  "balloon Balloon/w7/amd64 balloon.inf: WdfCoInstaller01009.dll balloon.cat balloon.inf "
  "balloon.sys blnsvr.exe\n"
  "vioser vioserial/w7/amd64 vioser.inf: WdfCoInstaller01009.dll vioser.cat vioser.inf vioser.sys\n"
  "viorng viorng/w7/amd64 viorng.inf: WdfCoInstaller01009.dll viorng.cat viorng.inf viorng.sys "
  "viorngci.dll viorngum.dll\n";

static const char w10_amd64[] =
  "viostor viostor/w10/amd64 viostor.inf: viostor.cat viostor.inf viostor.sys\n"
  "vioscsi vioscsi/w10/amd64 vioscsi.inf: vioscsi.cat vioscsi.inf vioscsi.sys\n"
  "netkvm NetKVM/w10/amd64 netkvm.inf: Readme.md netkvm.cat netkvm.inf netkvm.sys netkvmco.exe "
  "netkvmp.exe\n"
  "balloon Balloon/w10/amd64 balloon.inf: balloon.cat balloon.inf balloon.sys blnsvr.exe\n"
  "vioser vioserial/w10/amd64 vioser.inf: vioser.cat vioser.inf vioser.sys\n"
  "viorng viorng/w10/amd64 viorng.inf: viorng.cat viorng.inf viorng.sys viorngum.dll\n";

static const char k22_amd64[] =
  "viostor viostor/2k22/amd64 viostor.inf: viostor.cat viostor.inf viostor.sys\n"
  "vioscsi vioscsi/2k22/amd64 vioscsi.inf: vioscsi.cat vioscsi.inf vioscsi.sys\n"
  "netkvm NetKVM/2k22/amd64 netkvm.inf: Readme.md netkvm.cat netkvm.inf netkvm.sys netkvmco.exe "
  "netkvmp.exe\n"
  "balloon Balloon/2k22/amd64 balloon.inf: balloon.cat balloon.inf balloon.sys blnsvr.exe\n"
  "vioser vioserial/2k22/amd64 vioser.inf: vioser.cat vioser.inf vioser.sys\n"
  "viorng viorng/2k22/amd64 viorng.inf: viorng.cat viorng.inf viorng.sys viorngum.dll\n";

static const char xp_x86[] =
  "viostor viostor/xp/x86 viostor.inf: viostor.cat viostor.inf viostor.sys\n"
  "netkvm NetKVM/xp/x86 netkvm.inf: netkvm.cat netkvm.inf netkvm.sys\n"
  "balloon Balloon/xp/x86 balloon.inf: balloon.cat balloon.inf balloon.sys\n"
  "vioser vioserial/xp/x86 vioser.inf: vioser.cat vioser.inf vioser.sys\n"
  "W: SRC: --virtio-win: no vioscsi driver for xp/x86 (nor its fallbacks): not installing it\n"
  "W: SRC: --virtio-win: no viorng driver for xp/x86 (nor its fallbacks): not installing it\n";

/* Is the fake virtio-win there?  Sets fake. */
static int
have_fake (void)
{
  const char *top = getenv ("H2K_TEST_IMAGES");
  char iso[600];

  snprintf (fake, sizeof fake, "%s/virtio-win-fake",
            top && *top ? top : "/var/tmp/h2k-test-images");
  snprintf (iso, sizeof iso, "%s/virtio-win.iso", fake);
  if (access (iso, R_OK) != 0) {
    SKIP ("no %s (make -C tests/images virtio-win-fake)", iso);
    return 0;
  }
  return 1;
}

TEST (stage_fake_tree_and_iso)
{
  CLEANUP_FREE char *tree = NULL, *iso = NULL;

  if (!have_fake ())
    return;
  if (asprintf (&tree, "%s/tree", fake) == -1 || asprintf (&iso, "%s/virtio-win.iso", fake) == -1)
    exit (1);
  for (int i = 0; i < 2; ++i) {
    const char *src = i ? iso : tree;
    CLEANUP_FREE char *dest = new_dir ("dest");

    CHECK_STAGE (stage (src, tree, 7601, 0, "x86_64", "viostor", dest), w7_amd64);
    CHECK_STR (listing (dest), "balloon netkvm viorng vioscsi vioser viostor");
    rm_rf (dest);
    mkdir (dest, 0755);
    CHECK_STAGE (stage (src, tree, 19045, 0, "x86_64", "viostor", dest), w10_amd64);
    rm_rf (dest);
    mkdir (dest, 0755);
    CHECK_STAGE (stage (src, tree, 20348, 1, "x86_64", "vioscsi", dest), k22_amd64);
    /* Staging again into the same place fails, and leaves no litter. */
    {
      CLEANUP_FREE char *want = NULL;
      if (asprintf (&want, "ERR: %s/.viostor.0: cannot rename to %s/viostor: "
                    "Directory not empty\n", dest, dest) == -1)
        exit (1);
      CHECK_STAGE (stage (src, tree, 20348, 1, "x86_64", "vioscsi", dest), want);
    }
    CHECK_STR (listing (dest), "balloon netkvm viorng vioscsi vioser viostor");
    rm_rf (dest);
    mkdir (dest, 0755);
    /* Optional packages missing: warnings only. */
    CHECK_STAGE (stage (src, tree, 2600, 0, "i386", "viostor", dest), xp_x86);
    rm_rf (dest);
    mkdir (dest, 0755);
    /* The required one missing: an error, and nothing left in DEST. */
    {
      CLEANUP_FREE char *want = NULL;
      if (asprintf (&want, "ERR: %s: --virtio-win: no vioscsi driver for xp/x86 "
                    "(nor its fallbacks) in it\n", src) == -1)
        exit (1);
      CHECK_STAGE (stage (src, tree, 2600, 0, "i386", "vioscsi", dest), want);
      CHECK_STR (listing (dest), "");
    }
    /* win_find_driver knows the folder names too. */
    {
      struct win_id w = { .build = 7601, .arch = "i386" };
      CLEANUP_UNLINK_FREE char *local = NULL;
      CLEANUP_FREE char *rel = NULL;
      CHECK_INT (win_find_driver (src, &w, "vioser", &local, &rel), 0);
      CHECK_STR (rel, "vioserial/w7/x86/vioser.sys");
    }
    /* x86 in both layouts: the newer one wins. */
    CHECK_STAGE (stage (src, tree, 19045, 0, "i386", NULL, dest),
                 "viostor viostor/w10/x86 viostor.inf: viostor.cat viostor.inf viostor.sys\n"
                 "vioscsi vioscsi/w10/x86 vioscsi.inf: vioscsi.cat vioscsi.inf vioscsi.sys\n"
                 "netkvm NetKVM/w10/x86 netkvm.inf: Readme.md netkvm.cat netkvm.inf netkvm.sys "
                 "netkvmco.exe netkvmp.exe\n"
                 "balloon Balloon/w10/x86 balloon.inf: balloon.cat balloon.inf balloon.sys blnsvr.exe\n"
                 "vioser vioserial/w10/x86 vioser.inf: vioser.cat vioser.inf vioser.sys\n"
                 "viorng viorng/w10/x86 viorng.inf: viorng.cat viorng.inf viorng.sys viorngum.dll\n");
    rm_rf (dest);
  }
}

/* A tree in the older layout only (amd64/w10/ holding several drivers),
 * with case-changed names, for Windows 11: the w10 fallback.
 */
TEST (stage_old_layout_and_fallback)
{
  CLEANUP_FREE char *src = new_dir ("old");
  CLEANUP_FREE char *dest = new_dir ("dest2");

  put_file (src, "AMD64/W10/viostor.inf", "[Version]\r\n");
  put_file (src, "AMD64/W10/viostor.sys", "sys\r\n");
  put_file (src, "AMD64/W10/viostor.pdb", "pdb\r\n");
  put_file (src, "AMD64/W10/vioscsi.inf", "[Version]\r\n");
  put_file (src, "AMD64/W10/vioscsi.sys", "scsi\r\n");
  put_file (src, "AMD64/W10/WdfCoInstaller01011.dll", "wdf\r\n");
  put_file (src, "amd64/w8/viostor.inf", "[Version]\r\n");
  put_file (src, "NetKVM/w10/amd64/README.txt", "no inf here\r\n");
  put_file (src, "NetKVM/W11/AMD64/NETKVM.INF", "[Version]\r\n");
  put_file (src, "NetKVM/W11/AMD64/netkvm.sys", "net\r\n");
  put_file (src, "viorng/w11/amd64/viorng.sys", "no inf\r\n");
  put_file (src, "viorng/w10/amd64/viorng.sys", "rng\r\n");
  put_file (src, "viorng/w10/amd64/viorng.inf", "[Version]\r\n");
  CHECK_STAGE (stage (src, src, 22631, 0, "x86_64", "viostor", dest),
               "viostor AMD64/W10 viostor.inf: WdfCoInstaller01011.dll viostor.inf viostor.sys\n"
               "vioscsi AMD64/W10 vioscsi.inf: WdfCoInstaller01011.dll vioscsi.inf vioscsi.sys\n"
               "netkvm NetKVM/W11/AMD64 NETKVM.INF: NETKVM.INF netkvm.sys\n"
               "viorng viorng/w10/amd64 viorng.inf: viorng.inf viorng.sys\n"
               "W: SRC: --virtio-win: no balloon driver for w11/amd64 (nor its fallbacks): "
               "not installing it\n"
               "W: SRC: --virtio-win: no vioser driver for w11/amd64 (nor its fallbacks): "
               "not installing it\n");
  CHECK_STR (listing (dest), "netkvm viorng vioscsi viostor");
  rm_rf (dest);
  mkdir (dest, 0755);
  /* Two spellings of one folder: which one? */
  put_file (src, "amd64/W10/viostor.cat", "cat\r\n");
  {
    char *s = stage (src, src, 22631, 0, "x86_64", "viostor", dest);
    CHECK (strstr (s, "ERR: ") == s && strstr (s, ": which one?\n") != NULL);
    CHECK (strstr (s, " both AMD64/W10 and amd64/W10") || strstr (s, " both amd64/W10 and AMD64/W10"));
    free (s);
  }
  CHECK_STR (listing (dest), "");
  /* Not a known package; no fitting driver at all. */
  CHECK_STAGE (stage (src, src, 22631, 0, "x86_64", "virtio-fs", dest),
               "ERR: virtio-fs: not a virtio-win driver package h2k knows\n");
  CHECK_STAGE (stage (src, src, 22631, 0, "ppc64", "viostor", dest),
               "ERR: <stdin>: /guest/windows: no virtio-win driver fits Windows build 22631 "
               "Client ppc64\n");
  CHECK_STAGE (stage ("/nonexistent", NULL, 22631, 0, "x86_64", "viostor", dest),
               "ERR: /nonexistent: --virtio-win: No such file or directory\n");
  rm_rf (dest);
  rm_rf (src);
}

/* "rc local-basename content", or "rc error". */
static char *
qemu_ga (const char *src, const char *arch, const char *dest)
{
  struct win_id w = { .build = 19045, .arch = arch };
  CLEANUP_FREE char *local = NULL, *data = NULL;
  char *r;
  int rc;

  h2k_clear_error ();
  rc = win_find_qemu_ga (src, &w, dest, &local);
  if (rc == 1) {
    data = h2k_read_file (local, 1 << 20, NULL);
    if (asprintf (&r, "1 %s %s", local + strlen (dest) + 1, data ? h2k_trim (data) : "?") == -1)
      exit (1);
  }
  else if (asprintf (&r, "%d %s", rc, h2k_first_error () ? h2k_first_error () : "") == -1)
    exit (1);
  CHECK (rc == 1 || local == NULL);
  h2k_clear_error ();
  return r;
}

TEST (qemu_ga_msi)
{
  CLEANUP_FREE char *tree = NULL, *iso = NULL, *ga = NULL;
  CLEANUP_FREE char *dest = new_dir ("dest3");
  CLEANUP_FREE char *empty = new_dir ("empty");

  CHECK_STAGE (qemu_ga (empty, "x86_64", dest), "0 ");
  CHECK_STAGE (qemu_ga (empty, "aarch64", dest), "0 ");
  CHECK_STAGE (qemu_ga (empty, NULL, dest), "0 ");
  /* Too large (a sparse file): an error, and no partial copy left. */
  {
    CLEANUP_FREE char *big = NULL, *want = NULL;
    put_file (empty, "Guest-Agent/QEMU-GA-X86_64.MSI", "");
    if (asprintf (&big, "%s/Guest-Agent/QEMU-GA-X86_64.MSI", empty) == -1 ||
        truncate (big, (64 << 20) + 1) == -1 ||
        asprintf (&want, "-1 %s: Guest-Agent/QEMU-GA-X86_64.MSI: larger than 67108864 bytes",
                  empty) == -1)
      exit (1);
    CHECK_STAGE (qemu_ga (empty, "x86_64", dest), want);
    CHECK_STR (listing (dest), "");
    CHECK (truncate (big, 3) == 0);
    CHECK_STAGE (qemu_ga (empty, "x86_64", dest), "1 QEMU-GA-X86_64.MSI ");
    rm_rf (dest);
    mkdir (dest, 0755);
  }
  rm_rf (empty);
  if (!have_fake ())
    return;
  if (asprintf (&tree, "%s/tree", fake) == -1 || asprintf (&iso, "%s/virtio-win.iso", fake) == -1 ||
      asprintf (&ga, "%s/guest-agent", tree) == -1)
    exit (1);
  if (access (ga, R_OK) != 0) {
    SKIP ("%s has no guest-agent/ (rebuild it: make -C tests/images virtio-win-fake)",
            fake);
    return;
  }
  for (int i = 0; i < 2; ++i) {
    const char *src = i ? iso : tree;
    CLEANUP_FREE char *again = NULL;

    CHECK_STAGE (qemu_ga (src, "x86_64", dest),
                 "1 qemu-ga-x86_64.msi fake virtio-win file guest-agent/qemu-ga-x86_64.msi");
    CHECK_STAGE (qemu_ga (src, "i386", dest),
                 "1 qemu-ga-i386.msi fake virtio-win file guest-agent/qemu-ga-i386.msi");
    CHECK_STAGE (qemu_ga (src, "aarch64", dest), "0 ");
    /* DEST/NAME exists already: an error, the old file kept. */
    if (asprintf (&again, "-1 %s/qemu-ga-i386.msi: File exists", dest) == -1)
      exit (1);
    CHECK_STAGE (qemu_ga (src, "i386", dest), again);
    CHECK_STR (listing (dest), "qemu-ga-i386.msi qemu-ga-x86_64.msi");
    rm_rf (dest);
    mkdir (dest, 0755);
  }
  rm_rf (dest);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  RUN (stage_fake_tree_and_iso);
  RUN (stage_old_layout_and_fallback);
  RUN (qemu_ga_msi);
  rm_rf (tmpdir);
  return test_done ();
}
