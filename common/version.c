/* h2k: the version of the tool and of the libraries it runs with. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <curl/curl.h>
#include <guestfs.h>
#include <json-c/json.h>
#include <libssh/libssh.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "error.h"
#include "version.h"

/* libxml2 says "20914" for 2.9.14. */
static void
print_libxml2 (FILE *fp)
{
  const char *v = xmlParserVersion;
  long n = v ? strtol (v, NULL, 10) : 0;

  if (n > 0)
    fprintf (fp, "libxml2 %ld.%ld.%ld\n", n / 10000, n / 100 % 100, n % 100);
  else
    fprintf (fp, "libxml2 unknown\n");
}

/* libssh says "0.10.6/openssl/zlib": the version is before the '/'. */
static void
print_libssh (FILE *fp)
{
  const char *v = ssh_version (0);

  if (v)
    fprintf (fp, "libssh %.*s\n", (int) strcspn (v, "/"), v);
  else
    fprintf (fp, "libssh unknown\n");
}

/* libguestfs tells its version through a handle (one that is never
 * launched, so this costs no appliance).
 */
static void
print_libguestfs (FILE *fp)
{
  guestfs_h *g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  struct guestfs_version *v = NULL;

  if (g) {
    guestfs_set_error_handler (g, NULL, NULL);
    v = guestfs_version (g);
  }
  if (v)
    fprintf (fp, "libguestfs %" PRIi64 ".%" PRIi64 ".%" PRIi64 "%s\n",
             v->major, v->minor, v->release, v->extra);
  else
    fprintf (fp, "libguestfs unknown\n");
  guestfs_free_version (v);
  if (g)
    guestfs_close (g);
}

int
h2k_print_version (FILE *fp)
{
  const char *archive = archive_version_string ();   /* "libarchive 3.6.2" */
  const curl_version_info_data *curl = curl_version_info (CURLVERSION_NOW);

  fprintf (fp, "%s %s\n", h2k_progname, H2K_VERSION);
  fprintf (fp, "json-c %s\n", json_c_version ());
  print_libxml2 (fp);
  fprintf (fp, "libarchive %s\n",
           archive && strncmp (archive, "libarchive ", 11) == 0 ? archive + 11
           : "unknown");
  fprintf (fp, "OpenSSL %s\n", OpenSSL_version (OPENSSL_VERSION_STRING));
  fprintf (fp, "libyaml %s\n", yaml_get_version_string ());
  fprintf (fp, "libcurl %s\n", curl && curl->version ? curl->version : "unknown");
  print_libssh (fp);
  print_libguestfs (fp);
  return fflush (fp) == 0 && !ferror (fp) ? 0 : -1;
}
