/* SPDX-License-Identifier: MIT */
/* Just enough DER (X.690) to read the subject and issuer common names of the
 * leaf certificate of a TLS <= 1.2 Certificate message (RFC 5246 7.4.2,
 * RFC 5280 4.1). Every length is checked against its container; a
 * certificate that does not parse simply yields no names. */
#include <string.h>

#include "tls_internal.h"

/* Takes one TLV with a single-byte tag; lengths up to 4 bytes (long form). */
static int der_take(fsi_tls_view *v, uint32_t *tag, fsi_tls_view *content) {
  fsi_tls_view save = *v;
  uint32_t len, b;
  if (!fsi_tls_take_u8(v, tag) || (*tag & 0x1fu) == 0x1fu || !fsi_tls_take_u8(v, &b))
    goto fail;
  if (b < 0x80u) {
    len = b;
  } else {
    uint32_t n = b & 0x7fu;
    if (n == 0 || n > 4)
      goto fail; /* indefinite or absurd lengths are not DER */
    len = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (!fsi_tls_take_u8(v, &b))
        goto fail;
      len = (len << 8) | b;
    }
  }
  if (!fsi_tls_take(v, len, content))
    goto fail;
  return 1;
fail:
  *v = save;
  return 0;
}

/* The last commonName (OID 2.5.4.3) of a Name: the most specific one. */
static int name_cn(fsi_tls_view name, fsi_tls_view *cn) {
  static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
  int found = 0;
  uint32_t tag;
  fsi_tls_view rdn;
  while (der_take(&name, &tag, &rdn)) {
    if (tag != 0x31) /* SET */
      return -1;
    fsi_tls_view atv;
    while (der_take(&rdn, &tag, &atv)) {
      fsi_tls_view oid, value;
      uint32_t otag, vtag;
      if (tag != 0x30 || !der_take(&atv, &otag, &oid) || otag != 0x06 ||
          !der_take(&atv, &vtag, &value))
        return -1;
      /* UTF8String, PrintableString, T61String, IA5String: bytes as they are. */
      if (oid.n == sizeof oid_cn && memcmp(oid.p, oid_cn, sizeof oid_cn) == 0 &&
          (vtag == 0x0c || vtag == 0x13 || vtag == 0x14 || vtag == 0x16)) {
        *cn = value;
        found = 1;
      }
    }
  }
  return found ? 0 : -1;
}

int fsi_tls_leaf_names(const uint8_t *body, size_t len, fsi_tls_view *subject_cn,
                       fsi_tls_view *issuer_cn) {
  fsi_tls_view v = {body, len}, leaf, cert, tbs, field;
  uint32_t tag, list_len, cert_len;
  memset(subject_cn, 0, sizeof *subject_cn);
  memset(issuer_cn, 0, sizeof *issuer_cn);
  /* certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>; only the first
   * (leaf) certificate has to be present in full. */
  if (!fsi_tls_take_u24(&v, &list_len) || !fsi_tls_take_u24(&v, &cert_len) ||
      !fsi_tls_take(&v, cert_len, &leaf))
    return -1;
  if (!der_take(&leaf, &tag, &cert) || tag != 0x30)
    return -1;
  if (!der_take(&cert, &tag, &tbs) || tag != 0x30)
    return -1;
  if (!der_take(&tbs, &tag, &field)) /* [0] version, or the serial number */
    return -1;
  if (tag == 0xa0 && !der_take(&tbs, &tag, &field)) /* serialNumber */
    return -1;
  if (tag != 0x02)
    return -1;
  fsi_tls_view issuer, validity, subject;
  if (!der_take(&tbs, &tag, &field) || tag != 0x30 || /* signature AlgorithmIdentifier */
      !der_take(&tbs, &tag, &issuer) || tag != 0x30 || !der_take(&tbs, &tag, &validity) ||
      tag != 0x30 || !der_take(&tbs, &tag, &subject) || tag != 0x30)
    return -1;
  int a = name_cn(subject, subject_cn);
  int b = name_cn(issuer, issuer_cn);
  return a == 0 || b == 0 ? 0 : -1;
}
