/* h2k-flatten: is a backing file without a recorded format safe to
 * probe?  Only when its first bytes say what it is.  A file qemu would
 * call raw never is: a guest could have written any header into it.
 */

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "flatten.h"

int
probe_safe_format (const char *path, const char **format)
{
  CLEANUP_CLOSE int fd = -1;
  unsigned char b[512] = { 0 };
  ssize_t r;

  *format = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1 || (r = pread (fd, b, sizeof b, 0)) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (r >= 4 && memcmp (b, "QFI\xfb", 4) == 0)
    *format = "qcow2";
  else if (r >= 4 && (memcmp (b, "KDMV", 4) == 0 || memcmp (b, "COWD", 4) == 0))
    *format = "vmdk";
  else if (r >= 21 && memcmp (b, "# Disk DescriptorFile", 21) == 0)
    *format = "vmdk";
  else if (r >= 8 && memcmp (b, "conectix", 8) == 0)
    *format = "vhd";
  else if (r >= 8 && memcmp (b, "vhdxfile", 8) == 0)
    *format = "vhdx";
  else if (r >= 0x44 && memcmp (b + 0x40, "\x7f\x10\xda\xbe", 4) == 0)
    *format = "vdi";
  return 0;
}
