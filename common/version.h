/* h2k: the version of the tool and of the libraries it runs with (-V). */
#ifndef H2K_VERSION_H
#define H2K_VERSION_H

#include <stdio.h>

/* Print "TOOL VERSION", then one "LIBRARY VERSION" line for each linked
 * library that can tell its version at run time: json-c, libxml2,
 * libarchive, OpenSSL, libyaml, libcurl, libssh, libguestfs.  (hivex has
 * no such call; it is left out.)  A library that cannot say prints
 * "unknown".  Returns 0, or -1 when writing to FP failed (not reported).
 */
int h2k_print_version (FILE *fp);

#endif
