/* h2k-validate: Ethernet frames we build and parse.  See frame.h. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "frame.h"
#include "util.h"

#define ETH_HLEN 14
#define ETH_MIN 60
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };


int
frame_parse_mac (const char *s, uint8_t mac[6])
{
  for (int i = 0; i < 6; ++i) {
    int hi = h2k_hexval (s[0]), lo = hi < 0 ? -1 : h2k_hexval (s[1]);
    if (lo < 0)
      return -1;
    mac[i] = (uint8_t) (hi << 4 | lo);
    s += 2;
    if (i < 5 && *s != ':' && *s != '-')
      return -1;
    if (i < 5)
      s++;
  }
  return *s == '\0' ? 0 : -1;
}

void
frame_format_mac (const uint8_t mac[6], char buf[18])
{
  snprintf (buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
            mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int
frame_parse_cidr (const char *s, uint32_t *addr, int *prefix)
{
  char ip[64];
  const char *slash = strchr (s, '/');
  size_t n = slash ? (size_t) (slash - s) : strlen (s);
  struct in_addr in;
  struct in6_addr in6;

  if (n == 0 || n >= sizeof ip)
    return -1;
  memcpy (ip, s, n);
  ip[n] = '\0';
  if (inet_pton (AF_INET6, ip, &in6) == 1)
    return 1;
  if (inet_pton (AF_INET, ip, &in) != 1)
    return -1;
  *addr = ntohl (in.s_addr);
  *prefix = 32;
  if (slash) {
    char *end;
    long p;
    if (slash[1] < '0' || slash[1] > '9')
      return -1;
    p = strtol (slash + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 32)
      return -1;
    *prefix = (int) p;
  }
  return 0;
}

void
frame_format_ip (uint32_t addr, char buf[16])
{
  snprintf (buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
            (addr >> 8) & 0xff, addr & 0xff);
}

static int
taken (uint32_t a, const uint32_t *avoid, size_t n)
{
  for (size_t i = 0; i < n; ++i)
    if (avoid[i] == a)
      return 1;
  return 0;
}

uint32_t
frame_probe_sender (uint32_t addr, int prefix, const uint32_t *avoid, size_t n)
{
  uint32_t mask, bcast;

  if (prefix >= 31 || prefix < 1)
    return 0;
  mask = ~(uint32_t) 0 << (32 - prefix);
  bcast = (addr & mask) | ~mask;
  /* Highest host addresses first: they are rarely the one configured. */
  for (uint32_t a = bcast - 1; a > (addr & mask) && bcast - a <= 64; --a)
    if (!taken (a, avoid, n))
      return a;
  return 0;
}

uint16_t
frame_checksum (const void *data, size_t len)
{
  const uint8_t *p = data;
  uint32_t sum = 0;

  for (; len > 1; p += 2, len -= 2)
    sum += h2k_be16 (p);
  if (len)
    sum += (uint32_t) p[0] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

static size_t
eth_header (uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
            uint16_t type)
{
  memcpy (buf, dst, 6);
  memcpy (buf + 6, src, 6);
  h2k_put_be16 (buf + 12, type);
  return ETH_HLEN;
}

static size_t
pad (uint8_t *buf, size_t len)
{
  if (len < ETH_MIN) {
    memset (buf + len, 0, ETH_MIN - len);
    len = ETH_MIN;
  }
  return len;
}

static size_t
arp (uint8_t *buf, uint16_t op, const uint8_t dst[6], const uint8_t sha[6],
     uint32_t sip, const uint8_t tha[6], uint32_t tip)
{
  uint8_t *a = buf + eth_header (buf, dst, sha, ETHERTYPE_ARP);

  h2k_put_be16 (a, 1);                 /* Ethernet */
  h2k_put_be16 (a + 2, ETHERTYPE_IPV4);
  a[4] = 6;
  a[5] = 4;
  h2k_put_be16 (a + 6, op);
  memcpy (a + 8, sha, 6);
  h2k_put_be32 (a + 14, sip);
  memcpy (a + 18, tha, 6);
  h2k_put_be32 (a + 24, tip);
  return pad (buf, ETH_HLEN + 28);
}

size_t
frame_arp_request (uint8_t *buf, const uint8_t smac[6], uint32_t sip,
                   uint32_t tip)
{
  static const uint8_t zero[6];

  return arp (buf, 1, broadcast, smac, sip, zero, tip);
}

size_t
frame_arp_reply (uint8_t *buf, const uint8_t smac[6], uint32_t sip,
                 const uint8_t dmac[6], uint32_t dip)
{
  return arp (buf, 2, dmac, smac, sip, dmac, dip);
}

size_t
frame_icmp_echo (uint8_t *buf, const uint8_t smac[6], const uint8_t dmac[6],
                 uint32_t sip, uint32_t dip, uint16_t id, uint16_t seq)
{
  static const char payload[] = "h2k-validate echo";
  uint8_t *ip = buf + eth_header (buf, dmac, smac, ETHERTYPE_IPV4);
  uint8_t *icmp = ip + 20;
  size_t icmp_len = 8 + sizeof payload - 1;

  memset (ip, 0, 20);
  ip[0] = 0x45;
  h2k_put_be16 (ip + 2, (uint16_t) (20 + icmp_len));
  h2k_put_be16 (ip + 4, seq);
  ip[6] = 0x40;                 /* don't fragment */
  ip[8] = 64;                   /* TTL */
  ip[9] = 1;                    /* ICMP */
  h2k_put_be32 (ip + 12, sip);
  h2k_put_be32 (ip + 16, dip);
  h2k_put_be16 (ip + 10, frame_checksum (ip, 20));
  icmp[0] = 8;                  /* echo request */
  icmp[1] = 0;
  h2k_put_be16 (icmp + 2, 0);
  h2k_put_be16 (icmp + 4, id);
  h2k_put_be16 (icmp + 6, seq);
  memcpy (icmp + 8, payload, sizeof payload - 1);
  h2k_put_be16 (icmp + 2, frame_checksum (icmp, icmp_len));
  return pad (buf, ETH_HLEN + 20 + icmp_len);
}

/* DHCP options start after the 236-byte BOOTP header and the magic
 * cookie; find option 53.
 */
static int
dhcp_type (const uint8_t *opt, size_t len)
{
  size_t i = 0;

  while (i < len) {
    uint8_t code = opt[i];
    if (code == 0) { i++; continue; }
    if (code == 255 || i + 1 >= len || i + 2 + (size_t) opt[i + 1] > len)
      break;
    if (code == 53 && opt[i + 1] >= 1)
      return opt[i + 2];
    i += 2 + (size_t) opt[i + 1];
  }
  return 0;
}

static void
parse_udp (const uint8_t *udp, size_t len, struct frame_info *fi)
{
  const uint8_t *bootp = udp + 8;
  static const uint8_t cookie[4] = { 99, 130, 83, 99 };

  if (len < 8 + 240 || h2k_be16 (udp) != 68 || h2k_be16 (udp + 2) != 67)
    return;
  if (bootp[0] != 1 || bootp[1] != 1 || bootp[2] != 6 ||
      memcmp (bootp + 236, cookie, 4) != 0)
    return;
  fi->kind = FRAME_DHCP;
  memcpy (fi->chaddr, bootp + 28, 6);
  fi->dhcp_type = dhcp_type (bootp + 240, len - 8 - 240);
}

static void
parse_ipv4 (const uint8_t *ip, size_t len, struct frame_info *fi)
{
  size_t ihl, total;

  fi->kind = FRAME_IPV4;
  if (len < 20 || (ip[0] >> 4) != 4)
    return;
  ihl = (size_t) (ip[0] & 0x0f) * 4;
  total = h2k_be16 (ip + 2);
  if (ihl < 20 || total < ihl || total > len)
    return;
  fi->sip = h2k_be32 (ip + 12);
  fi->tip = h2k_be32 (ip + 16);
  if ((h2k_be16 (ip + 6) & 0x3fff) != 0)   /* a fragment */
    return;
  if (ip[9] == 1 && total - ihl >= 8) {
    const uint8_t *icmp = ip + ihl;
    if (icmp[0] == 0 || icmp[0] == 8) {
      fi->kind = icmp[0] == 0 ? FRAME_ICMP_ECHO_REPLY : FRAME_ICMP_ECHO_REQUEST;
      fi->icmp_id = h2k_be16 (icmp + 4);
      fi->icmp_seq = h2k_be16 (icmp + 6);
    }
  }
  else if (ip[9] == 17)
    parse_udp (ip + ihl, total - ihl, fi);
}

static void
parse_arp (const uint8_t *a, size_t len, struct frame_info *fi)
{
  if (len < 28 || h2k_be16 (a) != 1 || h2k_be16 (a + 2) != ETHERTYPE_IPV4 ||
      a[4] != 6 || a[5] != 4)
    return;
  if (h2k_be16 (a + 6) == 1)
    fi->kind = FRAME_ARP_REQUEST;
  else if (h2k_be16 (a + 6) == 2)
    fi->kind = FRAME_ARP_REPLY;
  else
    return;
  memcpy (fi->sha, a + 8, 6);
  fi->sip = h2k_be32 (a + 14);
  fi->tip = h2k_be32 (a + 24);
}

int
frame_parse (const uint8_t *buf, size_t len, struct frame_info *fi)
{
  memset (fi, 0, sizeof *fi);
  if (len < ETH_HLEN)
    return -1;
  memcpy (fi->dst, buf, 6);
  memcpy (fi->src, buf + 6, 6);
  fi->ethertype = h2k_be16 (buf + 12);
  switch (fi->ethertype) {
  case ETHERTYPE_ARP:
    parse_arp (buf + ETH_HLEN, len - ETH_HLEN, fi);
    break;
  case ETHERTYPE_IPV4:
    parse_ipv4 (buf + ETH_HLEN, len - ETH_HLEN, fi);
    break;
  case ETHERTYPE_IPV6:
    fi->kind = FRAME_IPV6;
    break;
  }
  return 0;
}

const char *
frame_dhcp_type_name (int type)
{
  static const char *const names[] = {
    "?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE",
    "INFORM",
  };

  return type >= 1 && type <= 8 ? names[type] : "?";
}
