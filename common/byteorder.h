/* h2k: reading and writing little- and big-endian integers in byte
 * buffers (image headers, registry values, network frames), whatever the
 * host's order and alignment.  Header only.
 */
#ifndef H2K_BYTEORDER_H
#define H2K_BYTEORDER_H

#include <stdint.h>

static inline uint16_t
h2k_le16 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t
h2k_le32 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
         (uint32_t) p[3] << 24;
}

static inline uint64_t
h2k_le64 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint64_t) h2k_le32 (p + 4) << 32 | h2k_le32 (p);
}

static inline uint16_t
h2k_be16 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
h2k_be32 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 |
         (uint32_t) p[3];
}

static inline uint64_t
h2k_be64 (const void *buf)
{
  const uint8_t *p = buf;
  return (uint64_t) h2k_be32 (p) << 32 | h2k_be32 (p + 4);
}

static inline void
h2k_put_le16 (void *buf, uint16_t v)
{
  uint8_t *p = buf;
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
h2k_put_le32 (void *buf, uint32_t v)
{
  uint8_t *p = buf;
  h2k_put_le16 (p, (uint16_t) v);
  h2k_put_le16 (p + 2, (uint16_t) (v >> 16));
}

static inline void
h2k_put_le64 (void *buf, uint64_t v)
{
  uint8_t *p = buf;
  h2k_put_le32 (p, (uint32_t) v);
  h2k_put_le32 (p + 4, (uint32_t) (v >> 32));
}

static inline void
h2k_put_be16 (void *buf, uint16_t v)
{
  uint8_t *p = buf;
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static inline void
h2k_put_be32 (void *buf, uint32_t v)
{
  uint8_t *p = buf;
  h2k_put_be16 (p, (uint16_t) (v >> 16));
  h2k_put_be16 (p + 2, (uint16_t) v);
}

static inline void
h2k_put_be64 (void *buf, uint64_t v)
{
  uint8_t *p = buf;
  h2k_put_be32 (p, (uint32_t) (v >> 32));
  h2k_put_be32 (p + 4, (uint32_t) v);
}

#endif
