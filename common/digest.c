/* h2k: message digests (OpenSSL libcrypto). */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "digest.h"
#include "error.h"

static void
to_hex (const unsigned char *md, unsigned int len, char *hex)
{
  static const char digits[] = "0123456789abcdef";

  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * len] = '\0';
}

static void
cleanup_md_ctx (void *ptr)
{
  EVP_MD_CTX_free (*(EVP_MD_CTX **) ptr);
}

int
h2k_digest_fd (int fd, const char *name, const char *algo, char *hex)
{
  __attribute__((cleanup (cleanup_md_ctx))) EVP_MD_CTX *ctx = NULL;
  const EVP_MD *md = EVP_get_digestbyname (algo);
  CLEANUP_FREE unsigned char *buf = NULL;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int outlen;
  const size_t bufsize = 1 << 20;

  if (md == NULL) {
    h2k_error ("unknown digest algorithm '%s'", algo);
    return -1;
  }
  buf = malloc (bufsize);
  ctx = EVP_MD_CTX_new ();
  if (buf == NULL || ctx == NULL || !EVP_DigestInit_ex (ctx, md, NULL)) {
    h2k_error ("%s: cannot start %s digest", name, algo);
    return -1;
  }
  for (;;) {
    ssize_t r = read (fd, buf, bufsize);

    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      h2k_error ("%s: read: %m", name);
      return -1;
    }
    if (r == 0)
      break;
    if (!EVP_DigestUpdate (ctx, buf, r)) {
      h2k_error ("%s: %s digest failed", name, algo);
      return -1;
    }
  }
  if (!EVP_DigestFinal_ex (ctx, out, &outlen)) {
    h2k_error ("%s: %s digest failed", name, algo);
    return -1;
  }
  to_hex (out, outlen, hex);
  return 0;
}

int
h2k_digest_file (const char *path, const char *algo, char *hex)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  return h2k_digest_fd (fd, path, algo, hex);
}

int
h2k_digest_buffer (const void *buf, size_t len, const char *algo, char *hex)
{
  const EVP_MD *md = EVP_get_digestbyname (algo);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int outlen;

  if (md == NULL) {
    h2k_error ("unknown digest algorithm '%s'", algo);
    return -1;
  }
  if (!EVP_Digest (buf, len, out, &outlen, md, NULL)) {
    h2k_error ("%s digest failed", algo);
    return -1;
  }
  to_hex (out, outlen, hex);
  return 0;
}

int
h2k_sha256_file (const char *path, char hex[65])
{
  char full[H2K_DIGEST_HEX_MAX];

  if (h2k_digest_file (path, "sha256", full) == -1)
    return -1;
  memcpy (hex, full, 65);
  return 0;
}

int
h2k_is_hex (const char *s, size_t len)
{
  size_t i;

  for (i = 0; s[i] != '\0'; ++i)
    if (!strchr ("0123456789abcdefABCDEF", s[i]))
      return 0;
  return i == len;
}
