/* h2k-fetch: OVF manifests (.mf).
 *
 * A manifest lists a digest for files of an OVF package, one a line:
 *
 *   SHA256(disk1.vmdk)= 4a218c15...
 *
 * as ovftool, VirtualBox and COT write them (SHA1, SHA256 or SHA512).  We
 * also accept the variants found in the wild: spaces around the
 * parentheses and the '=', upper-case hex, CRLF line ends, blank lines.
 */
#ifndef H2K_FETCH_MF_H
#define H2K_FETCH_MF_H

#include <stddef.h>

#include "cleanup.h"
#include "digest.h"

/* Limits against hostile or broken input. */
#define MF_MAX_FILE    (1u << 20)       /* bytes in a .mf */
#define MF_MAX_ENTRIES 4096
#define MF_MAX_NAME    1024             /* bytes in a file name */

struct mf_entry {
  const char *algo;             /* "sha1", "sha256" or "sha512" (static) */
  char *file;                   /* relative path, checked: no "..", not absolute */
  char hex[H2K_DIGEST_HEX_MAX]; /* lowercase */
  unsigned line;
};

struct mf {
  struct mf_entry *entries;
  size_t n;
};

/* Parse BUF (LEN bytes); NAME prefixes every message ("NAME: line N:
 * problem").  A malformed line, an unknown algorithm, a digest of the
 * wrong length, a file name that is absolute or contains "..", and a file
 * listed twice are errors.  Caller frees with mf_free.  NULL reported.
 */
struct mf *mf_parse (const char *buf, size_t len, const char *name);

/* Read and parse the file PATH; NAME as above. */
struct mf *mf_parse_file (const char *path, const char *name);

void mf_free (struct mf *mf);
H2K_DEFINE_CLEANUP (struct mf, mf_free)

/* The entry for FILE, or NULL. */
const struct mf_entry *mf_find (const struct mf *mf, const char *file);

/* Check every listed file, relative to DIR.  LABEL prefixes messages:
 * "LABEL: SHA256(disk1.vmdk): digest mismatch", "LABEL: SHA256(x): listed
 * file is missing".  On success *WEAKEST is the weakest algorithm used
 * (static string), or NULL for an empty manifest.  0, or -1 reported.
 */
int mf_verify (const struct mf *mf, const char *dir, const char *label,
               const char **weakest);

/* The .mf spelling of ALGO: "SHA256" for "sha256". */
const char *mf_algo_label (const char *algo);

#endif
