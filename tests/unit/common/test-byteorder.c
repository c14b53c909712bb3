/* Unit tests: common/byteorder.h, little- and big-endian integers in
 * byte buffers.
 */

#include <stdint.h>
#include <string.h>

#include "test.h"
#include "byteorder.h"

static const uint8_t bytes[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88 };

TEST (little_endian)
{
  uint8_t b[9] = { 0 };

  CHECK (h2k_le16 (bytes) == 0x0201);
  CHECK (h2k_le32 (bytes) == 0x04030201);
  CHECK (h2k_le64 (bytes) == UINT64_C (0x8807060504030201));
  /* Unaligned, and the top bit set: no sign extension. */
  memcpy (b + 1, bytes, 8);
  CHECK (h2k_le32 (b + 5) == 0x88070605);
  h2k_put_le16 (b, 0xbeef);
  CHECK (b[0] == 0xef && b[1] == 0xbe);
  h2k_put_le32 (b + 1, 0x88070605);
  CHECK (memcmp (b + 1, bytes + 4, 4) == 0);
  h2k_put_le64 (b + 1, UINT64_C (0x8807060504030201));
  CHECK (memcmp (b + 1, bytes, 8) == 0);
}

TEST (big_endian)
{
  uint8_t b[9] = { 0 };

  CHECK (h2k_be16 (bytes) == 0x0102);
  CHECK (h2k_be32 (bytes) == 0x01020304);
  CHECK (h2k_be64 (bytes) == UINT64_C (0x0102030405060788));
  CHECK (h2k_be32 (bytes + 4) == 0x05060788);
  h2k_put_be16 (b, 0xbeef);
  CHECK (b[0] == 0xbe && b[1] == 0xef);
  h2k_put_be32 (b + 1, 0x05060788);
  CHECK (memcmp (b + 1, bytes + 4, 4) == 0);
  h2k_put_be64 (b + 1, UINT64_C (0x0102030405060788));
  CHECK (memcmp (b + 1, bytes, 8) == 0);
}

TEST (round_trip)
{
  uint8_t b[8];
  uint64_t v = UINT64_C (0xfedcba9876543210);

  h2k_put_le64 (b, v);
  CHECK (h2k_le64 (b) == v);
  CHECK (h2k_be64 (b) == UINT64_C (0x1032547698badcfe));
  h2k_put_be64 (b, v);
  CHECK (h2k_be64 (b) == v);
  CHECK (h2k_le32 (b) == 0x98badcfe);
}

int
main (void)
{
  RUN (little_endian);
  RUN (big_endian);
  RUN (round_trip);
  return test_done ();
}
