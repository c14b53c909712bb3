/* h2k-validate: building and parsing Ethernet frames. */

#include <stdint.h>
#include <string.h>

#include "test.h"
#include "byteorder.h"
#include "../../../tools/h2k-validate/frame.h"

static const uint8_t guest[6] = { 0x00, 0x50, 0x56, 0x3a, 0x5c, 0x01 };
static const uint8_t probe[6] = { 0x02, 0x68, 0x32, 0x6b, 0x00, 0x00 };
#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (b) << 16 | (c) << 8 | (d))

TEST (mac_parse_format)
{
  uint8_t m[6];
  char s[18];

  CHECK_INT (frame_parse_mac ("00:50:56:3A:5c:01", m), 0);
  CHECK (memcmp (m, guest, 6) == 0);
  frame_format_mac (m, s);
  CHECK_STR (s, "00:50:56:3a:5c:01");
  CHECK_INT (frame_parse_mac ("00-50-56-3a-5c-01", m), 0);
  CHECK_INT (frame_parse_mac ("00:50:56:3a:5c", m), -1);
  CHECK_INT (frame_parse_mac ("00:50:56:3a:5c:01:02", m), -1);
  CHECK_INT (frame_parse_mac ("0:50:56:3a:5c:01", m), -1);
  CHECK_INT (frame_parse_mac ("zz:50:56:3a:5c:01", m), -1);
  CHECK_INT (frame_parse_mac ("", m), -1);
}

TEST (cidr)
{
  uint32_t a;
  int p;
  char s[16];

  CHECK_INT (frame_parse_cidr ("192.168.122.50/24", &a, &p), 0);
  CHECK_INT (a, IP (192, 168, 122, 50));
  CHECK_INT (p, 24);
  frame_format_ip (a, s);
  CHECK_STR (s, "192.168.122.50");
  CHECK_INT (frame_parse_cidr ("10.0.0.1", &a, &p), 0);
  CHECK_INT (p, 32);
  CHECK_INT (frame_parse_cidr ("fd00::5/64", &a, &p), 1);
  CHECK_INT (frame_parse_cidr ("10.0.0.1/33", &a, &p), -1);
  CHECK_INT (frame_parse_cidr ("10.0.0.1/", &a, &p), -1);
  CHECK_INT (frame_parse_cidr ("10.0.0.1/2x", &a, &p), -1);
  CHECK_INT (frame_parse_cidr ("10.0.0/24", &a, &p), -1);
  CHECK_INT (frame_parse_cidr ("/24", &a, &p), -1);
}

TEST (probe_sender)
{
  uint32_t avoid[] = { IP (192, 168, 122, 50), IP (192, 168, 122, 254) };

  CHECK_INT (frame_probe_sender (IP (192, 168, 122, 50), 24, avoid, 1),
             IP (192, 168, 122, 254));
  CHECK_INT (frame_probe_sender (IP (192, 168, 122, 50), 24, avoid, 2),
             IP (192, 168, 122, 253));
  CHECK_INT (frame_probe_sender (IP (10, 1, 2, 3), 8, NULL, 0),
             IP (10, 255, 255, 254));
  /* /30: hosts .1 and .2; .2 is ours, so .1. */
  avoid[0] = IP (10, 0, 0, 2);
  CHECK_INT (frame_probe_sender (IP (10, 0, 0, 2), 30, avoid, 1), IP (10, 0, 0, 1));
  avoid[1] = IP (10, 0, 0, 1);
  CHECK_INT (frame_probe_sender (IP (10, 0, 0, 2), 30, avoid, 2), 0);
  CHECK_INT (frame_probe_sender (IP (10, 0, 0, 2), 31, NULL, 0), 0);
  CHECK_INT (frame_probe_sender (IP (10, 0, 0, 2), 32, NULL, 0), 0);
}

TEST (arp_request_roundtrip)
{
  uint8_t buf[FRAME_MAX];
  struct frame_info fi;
  size_t n = frame_arp_request (buf, probe, IP (192, 168, 122, 254),
                                IP (192, 168, 122, 50));

  CHECK_INT (n, 60);
  CHECK (memcmp (buf, "\xff\xff\xff\xff\xff\xff", 6) == 0);
  CHECK (buf[12] == 0x08 && buf[13] == 0x06);
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_ARP_REQUEST);
  CHECK (memcmp (fi.sha, probe, 6) == 0);
  CHECK_INT (fi.sip, IP (192, 168, 122, 254));
  CHECK_INT (fi.tip, IP (192, 168, 122, 50));
}

/* A reply as Linux sends it: 42 bytes, unpadded. */
TEST (arp_reply_parse)
{
  uint8_t buf[FRAME_MAX];
  struct frame_info fi;
  size_t n = frame_arp_reply (buf, guest, IP (192, 168, 122, 50), probe,
                              IP (192, 168, 122, 254));

  CHECK (memcmp (buf, probe, 6) == 0);
  CHECK (memcmp (buf + 6, guest, 6) == 0);
  CHECK_INT (frame_parse (buf, 42, &fi), 0);
  CHECK_INT (fi.kind, FRAME_ARP_REPLY);
  CHECK (memcmp (fi.src, guest, 6) == 0);
  CHECK (memcmp (fi.sha, guest, 6) == 0);
  CHECK_INT (fi.sip, IP (192, 168, 122, 50));
  CHECK_INT (fi.tip, IP (192, 168, 122, 254));
  /* Truncated ARP: not an ARP frame any more. */
  CHECK_INT (frame_parse (buf, 30, &fi), 0);
  CHECK_INT (fi.kind, FRAME_OTHER);
  CHECK_INT (frame_parse (buf, 13, &fi), -1);
  (void) n;
}

TEST (icmp_echo)
{
  uint8_t buf[FRAME_MAX];
  struct frame_info fi;
  size_t n = frame_icmp_echo (buf, probe, guest, IP (192, 168, 122, 254),
                              IP (192, 168, 122, 50), 0x6832, 7);

  CHECK_INT (n, 60);             /* 59, padded to the minimum */
  /* The IP header and ICMP checksums verify (sum to zero). */
  CHECK_INT (frame_checksum (buf + 14, 20), 0);
  CHECK_INT (frame_checksum (buf + 34, 8 + 17), 0);
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_ICMP_ECHO_REQUEST);
  CHECK_INT (fi.icmp_id, 0x6832);
  CHECK_INT (fi.icmp_seq, 7);
  CHECK_INT (fi.sip, IP (192, 168, 122, 254));
  /* Turn it into the reply the guest would send. */
  memcpy (buf, probe, 6);
  memcpy (buf + 6, guest, 6);
  buf[34] = 0;
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_ICMP_ECHO_REPLY);
}

/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d. */
TEST (checksum)
{
  static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

  CHECK_INT (frame_checksum (d, sizeof d), 0x220d);
  CHECK_INT (frame_checksum (d, 1), 0xffff);
}

/* Build a DHCP client message of TYPE from MAC. */
static size_t
dhcp_frame (uint8_t *buf, const uint8_t mac[6], int type)
{
  uint8_t *ip = buf + 14, *udp = ip + 20, *bootp = udp + 8, *opt = bootp + 240;
  size_t blen = 240 + 4, total = 20 + 8 + blen;

  memset (buf, 0, 14 + total);
  memset (buf, 0xff, 6);
  memcpy (buf + 6, mac, 6);
  buf[12] = 0x08;
  ip[0] = 0x45;
  h2k_put_be16 (ip + 2, (uint16_t) total);
  ip[8] = 64;
  ip[9] = 17;
  memset (ip + 16, 0xff, 4);
  udp[1] = 68;
  udp[3] = 67;
  h2k_put_be16 (udp + 4, (uint16_t) (8 + blen));
  bootp[0] = 1;
  bootp[1] = 1;
  bootp[2] = 6;
  memcpy (bootp + 28, mac, 6);
  memcpy (bootp + 236, "\x63\x82\x53\x63", 4);
  opt[0] = 53;
  opt[1] = 1;
  opt[2] = (uint8_t) type;
  opt[3] = 255;
  return 14 + total;
}

TEST (dhcp_discover)
{
  uint8_t buf[FRAME_MAX];
  struct frame_info fi;
  size_t n = dhcp_frame (buf, guest, 1);

  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_DHCP);
  CHECK_INT (fi.dhcp_type, 1);
  CHECK_STR (frame_dhcp_type_name (fi.dhcp_type), "DISCOVER");
  CHECK (memcmp (fi.chaddr, guest, 6) == 0);
  n = dhcp_frame (buf, guest, 3);
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.dhcp_type, 3);
  /* The option list runs past the end: no type, still BOOTP. */
  buf[14 + 20 + 8 + 241] = 200;
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_DHCP);
  CHECK_INT (fi.dhcp_type, 0);
  /* A server's reply (op 2) is not a client request. */
  n = dhcp_frame (buf, guest, 2);
  buf[14 + 20 + 8] = 2;
  CHECK_INT (frame_parse (buf, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_IPV4);
  CHECK_STR (frame_dhcp_type_name (99), "?");
}

int
main (void)
{
  RUN (mac_parse_format);
  RUN (cidr);
  RUN (probe_sender);
  RUN (arp_request_roundtrip);
  RUN (arp_reply_parse);
  RUN (icmp_echo);
  RUN (checksum);
  RUN (dhcp_discover);
  return test_done ();
}
