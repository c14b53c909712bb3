/* h2k-fetch: http:// and https:// sources (libcurl).  Placeholder until
 * the transfer lands.
 */

#include "h2k.h"
#include "remote.h"

int
http_fetch_source (const struct remote_url *u, const struct fetch_opts *o,
                   const struct remote_opts *ro, const char *dldir,
                   char **top, const char **kind_hint)
{
  (void) o; (void) ro; (void) dldir; (void) top; (void) kind_hint;
  h2k_error ("%s: HTTP sources are not implemented yet", u->display);
  return -1;
}
