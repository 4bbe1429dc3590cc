/* SPDX-License-Identifier: MIT */
/* Names of DNS types, classes and response codes as Zeek's dns.log writes
 * them (its consts.zeek tables and their fmt() defaults), so the CLI's
 * dns.log reads like Zeek's. */
#include "dns_wire.h"

#include <stdio.h>
#include <string.h>

typedef struct num_name {
  uint32_t num;
  const char *name;
} num_name;

static const num_name qtypes[] = {
    {1, "A"},           {2, "NS"},       {3, "MD"},         {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},         {7, "MB"},       {8, "MG"},         {9, "MR"},       {10, "NULL"},
    {11, "WKS"},        {12, "PTR"},     {13, "HINFO"},     {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},        {17, "RP"},      {18, "AFSDB"},     {19, "X25"},     {20, "ISDN"},
    {21, "RT"},         {22, "NSAP"},    {23, "NSAP-PTR"},  {24, "SIG"},     {25, "KEY"},
    {26, "PX"},         {27, "GPOS"},    {28, "AAAA"},      {29, "LOC"},     {30, "NXT"},
    {31, "EID"},        {32, "NIMLOC"},  {33, "SRV"},       {34, "ATMA"},    {35, "NAPTR"},
    {36, "KX"},         {37, "CERT"},    {38, "A6"},        {39, "DNAME"},   {40, "SINK"},
    {41, "OPT"},        {42, "APL"},     {43, "DS"},        {44, "SSHFP"},   {45, "IPSECKEY"},
    {46, "RRSIG"},      {47, "NSEC"},    {48, "DNSKEY"},    {49, "DHCID"},   {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},    {53, "SMIMEA"},    {55, "HIP"},     {56, "NINFO"},
    {57, "RKEY"},       {58, "TALINK"},  {59, "CDS"},       {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
    {62, "CSYNC"},      {63, "ZONEMD"},  {64, "SVCB"},      {65, "HTTPS"},   {99, "SPF"},
    {100, "UINFO"},     {101, "UID"},    {102, "GID"},      {103, "UNSPEC"}, {104, "NID"},
    {105, "L32"},       {106, "L64"},    {107, "LP"},       {108, "EUI48"},  {109, "EUI64"},
    {249, "TKEY"},      {250, "TSIG"},   {251, "IXFR"},     {252, "AXFR"},   {253, "MAILB"},
    {254, "MAILA"},     {255, "*"},      {256, "URI"},      {257, "CAA"},    {32768, "TA"},
    {32769, "DLV"},     {65281, "WINS"}, {65282, "WINS-R"}, {65422, "XPF"},  {65521, "INTEGRITY"},
};

static const num_name qclasses[] = {
    {1, "C_INTERNET"}, {2, "C_CSNET"},  {3, "C_CHAOS"},
    {4, "C_HESIOD"},   {254, "C_NONE"}, {255, "C_ANY"},
};

static const num_name rcodes[] = {
    {0, "NOERROR"},        {1, "FORMERR"},        {2, "SERVFAIL"},       {3, "NXDOMAIN"},
    {4, "NOTIMP"},         {5, "REFUSED"},        {6, "YXDOMAIN"},       {7, "YXRRSET"},
    {8, "NXRRSet"},        {9, "NOTAUTH"},        {10, "NOTZONE"},       {11, "unassigned-11"},
    {12, "unassigned-12"}, {13, "unassigned-13"}, {14, "unassigned-14"}, {15, "unassigned-15"},
    {16, "BADVERS"},       {17, "BADKEY"},        {18, "BADTIME"},       {19, "BADMODE"},
    {20, "BADNAME"},       {21, "BADALG"},        {22, "BADTRUNC"},      {23, "BADCOOKIE"},
    {3842, "BADSIG"},
};

static size_t lookup(const num_name *t, size_t n, uint32_t v, const char *dflt, char *buf) {
  for (size_t i = 0; i < n; i++) {
    if (t[i].num == v) {
      size_t l = strlen(t[i].name);
      memcpy(buf, t[i].name, l + 1);
      return l;
    }
  }
  int l = snprintf(buf, 24, "%s-%u", dflt, (unsigned)v);
  return l > 0 ? (size_t)l : 0;
}

size_t fsi_dns_qtype_name(uint32_t t, char *buf) {
  return lookup(qtypes, sizeof qtypes / sizeof qtypes[0], t, "query", buf);
}

size_t fsi_dns_qclass_name(uint32_t c, char *buf) {
  return lookup(qclasses, sizeof qclasses / sizeof qclasses[0], c, "qclass", buf);
}

size_t fsi_dns_rcode_name(uint32_t r, char *buf) {
  return lookup(rcodes, sizeof rcodes / sizeof rcodes[0], r, "rcode", buf);
}
