/* h2k: helpers shared by vhd.c and vhdx.c (not part of vhd.h). */
#ifndef H2K_VHD_PRIV_H
#define H2K_VHD_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* UTF-16 (FROM is "UTF-16BE" or "UTF-16LE") to a NUL-terminated UTF-8
 * string in OUT (OUTLEN bytes), stopping at the first U+0000.  NAME and
 * FIELD prefix messages.  0, or -1 reported.
 */
int h2k_vhd_utf16_to_utf8 (const char *from, const unsigned char *in,
                           size_t inlen, char *out, size_t outlen,
                           const char *name, const char *field);

/* Read LEN bytes at OFF of FD (the file PATH, FILE_SIZE bytes); WHAT
 * names the structure in messages.  0, or -1 reported.
 */
int h2k_vhd_read_at (int fd, void *buf, size_t len, uint64_t off,
                     uint64_t file_size, const char *path, const char *what);

#endif
