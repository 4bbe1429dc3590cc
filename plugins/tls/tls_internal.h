/* SPDX-License-Identifier: MIT */
/*
 * Internals of the tls plugin, shared by its source files and its unit tests
 * (which compile the sources in). Nothing here crosses the plugin boundary:
 * the only exported symbol is fs_plugin_entry.
 *
 * Layout: tls_bytes.c (bounded readers), tls_hello.c (ClientHello and
 * ServerHello parsing), tls_fingerprint.c (JA3, JA3S, JA4), tls_names.c
 * (Zeek's names for versions, ciphers, curves, alerts), tls_session.c (record
 * layer, handshake reassembly, connection state), tls_message.c (the emitted
 * message), tls_preamble.c (where TLS starts: hello headers, clear-text
 * preambles), tls_plugin.c (descriptor, probe, parser ops).
 */
#ifndef FLOWSCOPE_TLS_INTERNAL_H
#define FLOWSCOPE_TLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "flowscope/core.h"

/* ---- bounded byte views ------------------------------------------------ */

/* A borrowed run of bytes. Readers never move past p + n. */
typedef struct fsi_tls_view {
  const uint8_t *p;
  size_t n;
} fsi_tls_view;

/* Takes a big-endian integer of 1..3 bytes; 0 when fewer bytes remain. */
int fsi_tls_take_u8(fsi_tls_view *v, uint32_t *out);
int fsi_tls_take_u16(fsi_tls_view *v, uint32_t *out);
int fsi_tls_take_u24(fsi_tls_view *v, uint32_t *out);
/* Takes @p n bytes as a sub-view; 0 when fewer remain. */
int fsi_tls_take(fsi_tls_view *v, size_t n, fsi_tls_view *out);
/* Takes a vector whose length is a @p len_bytes (1..3) prefix. */
int fsi_tls_take_vec(fsi_tls_view *v, unsigned len_bytes, fsi_tls_view *out);
/* Reads the 16-bit item @p i of a view of 2-byte items. */
uint16_t fsi_tls_u16_at(fsi_tls_view v, size_t i);

/* RFC 8701 GREASE value: 0x?a?a with equal bytes. */
static inline int fsi_tls_is_grease(uint32_t v) {
  return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu);
}

/* ---- hello messages ---------------------------------------------------- */

/* TLS extension numbers this plugin reads. */
enum {
  FSI_TLS_EXT_SERVER_NAME = 0,
  FSI_TLS_EXT_SUPPORTED_GROUPS = 10,
  FSI_TLS_EXT_EC_POINT_FORMATS = 11,
  FSI_TLS_EXT_SIGNATURE_ALGORITHMS = 13,
  FSI_TLS_EXT_ALPN = 16,
  FSI_TLS_EXT_PRE_SHARED_KEY = 41,
  FSI_TLS_EXT_SUPPORTED_VERSIONS = 43,
  FSI_TLS_EXT_KEY_SHARE = 51
};

/* A parsed ClientHello: views into the message body (which must outlive it). */
typedef struct fsi_tls_client_hello {
  uint32_t version;           /* legacy_version */
  fsi_tls_view random;        /* 32 bytes */
  fsi_tls_view session_id;    /* 0..32 bytes */
  fsi_tls_view ciphers;       /* 2-byte items, wire order */
  fsi_tls_view compression;   /* 1-byte items */
  fsi_tls_view extensions;    /* raw block: (type u16, len u16, data)* */
  uint32_t n_extensions;      /* extensions in the block */
  int has_sni;                /* server_name extension present */
  fsi_tls_view sni;           /* first host_name entry (may be empty) */
  int has_alpn;               /* ALPN extension present */
  fsi_tls_view alpn;          /* ProtocolNameList body: (len u8, bytes)* */
  fsi_tls_view groups;        /* supported_groups: 2-byte items */
  fsi_tls_view point_formats; /* ec_point_formats: 1-byte items */
  fsi_tls_view sig_algs;      /* signature_algorithms: 2-byte items */
  int has_versions;           /* supported_versions present */
  fsi_tls_view versions;      /* supported_versions: 2-byte items */
  int sslv2;                  /* SSLv2-framed: ciphers are 3-byte CIPHER-SPECs, random is the
                               * challenge, no extensions */
} fsi_tls_client_hello;

/* A parsed ServerHello (or HelloRetryRequest): views into the body. */
typedef struct fsi_tls_server_hello {
  uint32_t version;          /* legacy_version */
  fsi_tls_view random;       /* 32 bytes */
  fsi_tls_view session_id;   /* 0..32 bytes */
  uint32_t cipher;           /* selected cipher suite */
  uint32_t compression;      /* selected compression method */
  fsi_tls_view extensions;   /* raw extension block */
  uint32_t n_extensions;     /* extensions in the block */
  uint32_t selected_version; /* supported_versions value, or 0 */
  fsi_tls_view alpn;         /* selected protocol (empty when none) */
  int has_alpn;              /* ALPN extension present */
  uint32_t key_share_group;  /* key_share group (TLS 1.3), or 0 */
  int has_psk;               /* pre_shared_key present (TLS 1.3 resumption) */
  int is_hrr;                /* random is the HelloRetryRequest constant */
} fsi_tls_server_hello;

/* Parses a ClientHello body (after the 4-byte handshake header). 0 = ok. */
int fsi_tls_parse_client_hello(const uint8_t *body, size_t len, fsi_tls_client_hello *out);
/* Parses an SSLv2 CLIENT-HELLO (RFC 6101 E.1; @p body starts at its msg_type
 * byte, after the 2-byte record header). 0 = ok. */
int fsi_tls_parse_sslv2_client_hello(const uint8_t *body, size_t len, fsi_tls_client_hello *out);
/* Parses a ServerHello body (after the 4-byte handshake header). 0 = ok. */
int fsi_tls_parse_server_hello(const uint8_t *body, size_t len, fsi_tls_server_hello *out);
/* Walks an extension block: takes the next (type, data). 0 at the end. */
int fsi_tls_next_extension(fsi_tls_view *block, uint32_t *type, fsi_tls_view *data);

/* Subject and issuer common names of the leaf certificate in a TLS <= 1.2
 * Certificate body (views into it; empty when absent). 0 when either is found. */
int fsi_tls_leaf_names(const uint8_t *body, size_t len, fsi_tls_view *subject_cn,
                       fsi_tls_view *issuer_cn);

/* ---- fingerprints ------------------------------------------------------ */

/* A growable string for fingerprint texts; only used when a message is built. */
typedef struct fsi_tls_sb {
  char *p;
  size_t len;
  size_t cap;
  int oom; /* an allocation failed: the text is incomplete */
} fsi_tls_sb;

void fsi_tls_sb_free(fsi_tls_sb *sb);
void fsi_tls_sb_puts(fsi_tls_sb *sb, const char *s);
void fsi_tls_sb_putn(fsi_tls_sb *sb, const char *s, size_t n);
void fsi_tls_sb_putu(fsi_tls_sb *sb, uint32_t v);

/* JA3 text "version,ciphers,extensions,groups,point_formats" (GREASE removed). */
void fsi_tls_ja3_string(const fsi_tls_client_hello *ch, fsi_tls_sb *out);
/* JA3S text "version,cipher,extensions" (GREASE removed). */
void fsi_tls_ja3s_string(const fsi_tls_server_hello *sh, fsi_tls_sb *out);
/* Lower-case hex MD5 of @p n bytes into out[33]. */
void fsi_tls_md5_hex(const char *s, size_t n, char out[33]);
/* JA4 (TLS over TCP, "t") into out[37]; @p scratch is reused for the hash inputs. */
void fsi_tls_ja4(const fsi_tls_client_hello *ch, fsi_tls_sb *scratch, char out[37]);

/* ---- names (Zeek's ssl.log spellings) ---------------------------------- */

/* Writes Zeek's name for a protocol version ("TLSv12", ...) into buf. */
const char *fsi_tls_version_name(uint32_t v, char *buf, size_t buflen);
/* Writes the IANA name of a cipher suite ("unknown-N" when not known). */
const char *fsi_tls_cipher_name(uint32_t v, char *buf, size_t buflen);
/* Writes the name of a named group ("unknown-N" when not known). */
const char *fsi_tls_curve_name(uint32_t v, char *buf, size_t buflen);
/* Writes the name of an alert description ("unknown-N" when not known). */
const char *fsi_tls_alert_name(uint32_t v, char *buf, size_t buflen);
/* 1 when the cipher suite uses ECDHE key exchange (TLS <= 1.2). */
int fsi_tls_cipher_is_ecdhe(uint32_t v);

/* ---- where TLS starts -------------------------------------------------- */

/* Largest clear-text preamble skipped on a side before its first TLS record
 * (STARTTLS exchanges, proxy handshakes); more poisons. */
#define FSI_TLS_MAX_PREAMBLE 16384u
/* Bytes per side the probe may look at: room for the clear-text part of a
 * STARTTLS exchange (greeting, capabilities) before the hello. */
#define FSI_TLS_PROBE_MAX 2048u

/* Whether @p d starts with a record carrying a ClientHello or ServerHello
 * (content type 22, record version 3.0-3.4, record length 4..2^14+2048,
 * handshake type 1 or 2, hello length 38..65536, hello version 3.x): an
 * fs_probe_result, answered after at most 11 bytes. */
uint32_t fsi_tls_hello_header(const uint8_t *d, size_t len);
/* 1 when the 5 bytes at @p h are a plausible record header (content type
 * 20-24, version 3.0-3.4, length at most 2^14 + 2048). */
int fsi_tls_record_header_ok(const uint8_t *h);
/* Scans clear text for the first hello record header. Returns how many
 * bytes precede it (*found = 1), or how many bytes can be skipped for sure
 * (*found = 0: the rest may start a header and needs more bytes). */
size_t fsi_tls_preamble_scan(const uint8_t *d, size_t len, int *found);
/* The probe's view of a side that starts with clear text: NEED_MORE while
 * the bytes start like a known STARTTLS / SSLRequest / proxy exchange and no
 * hello header followed yet, YES once one did, NO for anything else. */
uint32_t fsi_tls_probe_preamble(const uint8_t *d, size_t len);

/* ---- connection state -------------------------------------------------- */

/* Largest hello message kept (bytes of the handshake body); larger poisons. */
#define FSI_TLS_MAX_HELLO 65536u
/* Bytes of a Certificate message kept to read the leaf's names. */
#define FSI_TLS_MAX_CERT_PREFIX 16384u
/* Longest common name reported (longer ones are cut). */
#define FSI_TLS_MAX_CN 256u
/* Alerts remembered per connection (later ones are counted only). */
#define FSI_TLS_MAX_ALERTS 8u
/* Largest TLSCiphertext fragment (RFC 5246 6.2.3: 2^14 + 2048). */
#define FSI_TLS_MAX_RECORD (16384u + 2048u)

/* One direction of a connection. */
typedef struct fsi_tls_side {
  uint8_t hs_hdr[4];    /* handshake header being assembled */
  uint32_t hs_hdr_got;  /* bytes of hs_hdr present */
  uint32_t hs_type;     /* type of the message being read */
  uint32_t hs_len;      /* its body length */
  uint32_t hs_got;      /* body bytes read so far */
  uint8_t *hs_keep;     /* where body bytes are copied (NULL: skipped) */
  uint32_t hs_keep_cap; /* bytes hs_keep can take */
  uint8_t ske[4];       /* first bytes of a ServerKeyExchange */
  uint32_t ccs;         /* ChangeCipherSpec seen */
  uint32_t encrypted;   /* records are no longer readable */
  uint32_t app_records; /* application_data records seen */
  uint32_t stopped;     /* nothing more to learn from this side (gap, FIN) */
  uint32_t records;     /* records seen */
  uint32_t preamble;    /* the side began with clear text: skipping to a hello */
  uint32_t clear_bytes; /* clear-text bytes skipped before its first record */
} fsi_tls_side;

/* The state of one TLS connection. */
typedef struct fsi_tls_conn {
  fsi_tls_side side[2];
  uint8_t *ch_buf; /* first ClientHello body */
  uint32_t ch_len;
  uint32_t ch_done;     /* ch_buf holds a complete, valid ClientHello */
  uint32_t ch_count;    /* ClientHellos seen */
  uint32_t ch_v2;       /* ch_buf holds an SSLv2 CLIENT-HELLO */
  uint32_t client_side; /* fs_side that sent the ClientHello */
  uint8_t *ch2_buf;     /* second ClientHello body (after a HelloRetryRequest) */
  uint32_t ch2_len;
  uint32_t ch2_done; /* ch2_buf holds a complete, valid ClientHello */
  uint8_t *sh_buf;   /* latest ServerHello body */
  uint32_t sh_len;
  uint32_t sh_done;   /* sh_buf holds a complete, valid ServerHello */
  uint32_t sh_count;  /* ServerHellos seen (a HelloRetryRequest counts) */
  uint32_t sh_is_hrr; /* sh_buf holds a HelloRetryRequest */
  uint8_t *hrr_buf;   /* the HelloRetryRequest, once a ServerHello followed it */
  uint32_t hrr_len;
  uint32_t server_side;            /* fs_side that sent the ServerHello */
  uint8_t *cert_buf;               /* prefix of the first Certificate message (TLS <= 1.2) */
  uint32_t cert_len;               /* bytes kept in cert_buf */
  uint32_t cert_seen;              /* a Certificate message from the server was read */
  char subject_cn[FSI_TLS_MAX_CN]; /* leaf subject CN (subject_cn_len bytes) */
  char issuer_cn[FSI_TLS_MAX_CN];  /* leaf issuer CN */
  uint32_t subject_cn_len;
  uint32_t issuer_cn_len;
  uint32_t version;                    /* negotiated version (0 until a ServerHello) */
  uint32_t cipher;                     /* negotiated cipher suite */
  uint32_t curve;                      /* key exchange group, 0 when unknown */
  uint32_t resumed;                    /* session resumed */
  uint32_t established;                /* handshake finished on both sides */
  uint32_t n_alerts;                   /* alerts seen in clear */
  uint32_t alerts[FSI_TLS_MAX_ALERTS]; /* (side << 16) | (level << 8) | desc */
  const char *poison;                  /* static reason once poisoned */
  fs_time_ns first_ts;                 /* time of the first byte fed */
  uint32_t have_ts;
  uint32_t emitted; /* the message went out */
} fsi_tls_conn;

/* Initialises a connection (no allocation). */
void fsi_tls_conn_init(fsi_tls_conn *c);
/* Frees what the connection allocated. */
void fsi_tls_conn_clear(fsi_tls_conn *c);
/*
 * Reads whole records of @p side from @p data; *consumed says how many bytes
 * were used (a partial record is left to the caller). Returns an
 * fs_parse_status: DONE when both sides are past the readable handshake.
 */
int fsi_tls_conn_feed(fsi_tls_conn *c, uint32_t side, const uint8_t *data, size_t len,
                      size_t *consumed);
/* Parses the connection's kept ClientHello (TLS or SSLv2 form). 0 = ok. */
int fsi_tls_conn_client_hello(const fsi_tls_conn *c, fsi_tls_client_hello *out);
/* Parses the second ClientHello (after a HelloRetryRequest). 0 = ok. */
int fsi_tls_conn_retry_hello(const fsi_tls_conn *c, fsi_tls_client_hello *out);
/* 1 when nothing more can be learned from either side. */
int fsi_tls_conn_complete(const fsi_tls_conn *c);

/* ---- the message ------------------------------------------------------- */

/* Builds the "handshake" message of @p c and hands it to @p emit. */
void fsi_tls_emit(const fsi_tls_conn *c, void (*emit)(void *, const fs_message *), void *emit_ctx);

#endif /* FLOWSCOPE_TLS_INTERNAL_H */
