/* SPDX-License-Identifier: MIT */
/* dns plugin: hand-built messages (RFC 1035 4.1 layouts, the 6.2.1 example
 * exchange, RFC 3596 AAAA, RFC 2782 SRV, RFC 6891 OPT with RFC 3225's DO
 * bit) through the plugin's datagram and session ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns_build.h"
#include "proto_harness.h"

static ph_ctx ctx;

static int setup_udp(void **state) {
  (void)state;
  return ph_open(&ctx, "dns", "dns", NULL) == 0 && ph_create(&ctx, 0) == 0 ? 0 : -1;
}
static int setup_udp_small(void **state) {
  (void)state;
  return ph_open(&ctx, "dns", "dns", "max_pending=2,timeout=5") == 0 && ph_create(&ctx, 0) == 0
             ? 0
             : -1;
}
static int setup_tcp(void **state) {
  (void)state;
  return ph_open(&ctx, "dns", "dns", NULL) == 0 && ph_create(&ctx, 1) == 0 ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  ph_close(&ctx);
  return 0;
}

/* RFC 1035 6.2.1: "SRI-NIC.ARPA" type A class IN, standard query. */
static void sri_nic_query(db *d, unsigned id) {
  d->n = 0;
  db_header(d, id, DNS_RD, 1, 0, 0, 0); /* query, RD, one question */
  db_name(d, "SRI-NIC.ARPA");           /* QNAME at offset 12 */
  db_u16(d, 1);                         /* QTYPE A */
  db_u16(d, 1);                         /* QCLASS IN */
}

/* Its authoritative answer: two A records, owners compressed to offset 12. */
static void sri_nic_response(db *d, unsigned id) {
  d->n = 0;
  db_header(d, id, DNS_QR | DNS_AA | DNS_RD, 1, 2, 0, 0);
  db_name(d, "SRI-NIC.ARPA");
  db_u16(d, 1);
  db_u16(d, 1);
  db_ptr(d, 12);
  db_rr(d, 1, 1, 86400, 4);
  db_bytes(d, "\x1a\x00\x00\x49", 4); /* 26.0.0.73 */
  db_ptr(d, 12);
  db_rr(d, 1, 1, 86400, 4);
  db_bytes(d, "\x0a\x00\x00\x33", 4); /* 10.0.0.51 */
}

static void test_descriptor(void **state) {
  (void)state;
  assert_string_equal(ctx.desc->name, "dns");
  assert_string_equal(ctx.proto->name, "dns");
  assert_int_equal(ctx.proto->transports, FS_TRANSPORT_UDP | FS_TRANSPORT_TCP);
  assert_non_null(ctx.proto->session);
  assert_non_null(ctx.proto->datagram);
  assert_int_equal(ctx.proto->ports[0].lo, 53);
}

static void test_probe(void **state) {
  (void)state;
  db d, t;
  sri_nic_query(&d, 7);
  assert_int_equal(ctx.proto->probe(d.b, d.n, 0), FS_PROBE_YES);
  t.n = 0;
  db_u16(&t, (unsigned)d.n); /* TCP: 2-byte length prefix (RFC 1035 4.2.2) */
  db_bytes(&t, d.b, d.n);
  assert_int_equal(ctx.proto->probe(t.b, t.n, 0), FS_PROBE_YES);
  assert_int_equal(ctx.proto->probe(t.b, 6, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(ctx.proto->probe((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n", 25, 0),
                   FS_PROBE_NO);
}

static void test_rfc1035_exchange(void **state) {
  (void)state;
  db q, r;
  sri_nic_query(&q, 0x03E5);
  sri_nic_response(&r, 0x03E5);
  assert_int_equal(ph_datagram(&ctx, 0, q.b, q.n, 5 * FS_NS_PER_SEC), FS_PARSE_OK);
  assert_int_equal(ctx.n, 0);
  assert_int_equal(ph_datagram(&ctx, 1, r.b, r.n, 5 * FS_NS_PER_SEC + 1500000), FS_PARSE_OK);
  assert_int_equal(ctx.n, 1);
  assert_string_equal(ctx.msgs[0]->protocol, "dns");
  assert_string_equal(ctx.msgs[0]->msg_type, "query");
  assert_int_equal(ctx.msgs[0]->ts, 5 * FS_NS_PER_SEC);
  assert_int_equal(ctx.msgs[0]->side, FS_SIDE_INITIATOR);
  assert_int_equal(ph_u64(&ctx, 0, "trans_id"), 0x03E5);
  assert_true(ph_str_is(&ctx, 0, "query", "SRI-NIC.ARPA"));
  assert_int_equal(ph_u64(&ctx, 0, "qtype"), 1);
  assert_true(ph_str_is(&ctx, 0, "qtype_name", "A"));
  assert_int_equal(ph_u64(&ctx, 0, "qclass"), 1);
  assert_true(ph_str_is(&ctx, 0, "qclass_name", "C_INTERNET"));
  assert_int_equal(ph_u64(&ctx, 0, "rcode"), 0);
  assert_true(ph_str_is(&ctx, 0, "rcode_name", "NOERROR"));
  assert_int_equal(ph_u64(&ctx, 0, "AA"), 1);
  assert_int_equal(ph_u64(&ctx, 0, "RD"), 1);
  assert_int_equal(ph_u64(&ctx, 0, "RA"), 0);
  assert_int_equal(ph_u64(&ctx, 0, "TC"), 0);
  assert_int_equal(ph_u64(&ctx, 0, "rejected"), 0);
  const fs_field *rtt = ph_field(&ctx, 0, "rtt");
  assert_int_equal(rtt->kind, FS_FIELD_DURATION);
  assert_int_equal(rtt->v.u64, 1500000);
  const fs_field *a = ph_field(&ctx, 0, "answers");
  assert_int_equal(a->count, 2);
  assert_string_equal(ph_list_item(&ctx, 0, "answers", 0), "26.0.0.73");
  assert_string_equal(ph_list_item(&ctx, 0, "answers", 1), "10.0.0.51");
  const fs_field *ttl = ph_field(&ctx, 0, "TTLs");
  assert_int_equal(ttl->kind, FS_FIELD_U64_LIST);
  assert_int_equal(ttl->count, 2);
  assert_int_equal(ttl->v.u64s[0], 86400);
  assert_int_equal(ttl->v.u64s[1], 86400);
  assert_int_equal(ph_field(&ctx, 0, "DO")->kind, FS_FIELD_NONE);
}

/* One response carrying every rendered type; Zeek's rendering rules. */
static void test_record_types(void **state) {
  (void)state;
  db r = {{0}, 0};
  db_header(&r, 0x1234, DNS_QR | DNS_RD | DNS_RA, 1, 11, 0, 1);
  db_name(&r, "www.example.com"); /* offset 12; "example.com" at 16 */
  db_u16(&r, 255);                /* QTYPE * (ANY) */
  db_u16(&r, 1);
  /* AAAA 2001:db8::1 (RFC 3596) */
  db_ptr(&r, 12);
  db_rr(&r, 28, 1, 60, 16);
  db_bytes(&r, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  /* CNAME cdn.example.com: "cdn" label then a pointer to example.com */
  db_ptr(&r, 12);
  db_rr(&r, 5, 1, 300, 6);
  db_labels(&r, "cdn");
  db_ptr(&r, 16);
  /* NS ns1.example.com */
  db_ptr(&r, 16);
  db_rr(&r, 2, 1, 3600, 6);
  size_t ns1_at = r.n; /* where the "ns1" label starts */
  db_labels(&r, "ns1");
  db_ptr(&r, 16);
  /* MX 10 mail.example.com: preference, then exchange */
  db_ptr(&r, 16);
  db_rr(&r, 15, 1, 3600, 9);
  db_u16(&r, 10);
  db_labels(&r, "mail");
  db_ptr(&r, 16);
  /* TXT with two character-strings */
  db_ptr(&r, 16);
  db_rr(&r, 16, 1, 30, 9);
  db_bytes(&r,
           "\x03"
           "v=1"
           "\x04"
           "ab c",
           9);
  /* SOA: mname ns1.example.com (pointer into the NS rdata), rname, 5 counters */
  db_ptr(&r, 16);
  db_rr(&r, 6, 1, 900, 2 + 2 + 20);
  db_ptr(&r, (unsigned)ns1_at); /* -> "ns1" label of the NS record */
  db_ptr(&r, 16);               /* rname: example.com */
  for (int i = 0; i < 5; i++) {
    db_u32(&r, 1000u + (uint32_t)i);
  }
  /* SRV (RFC 2782): priority, weight, port, target */
  db_ptr(&r, 16);
  db_rr(&r, 33, 1, 120, 6 + 6);
  db_u16(&r, 0);
  db_u16(&r, 5);
  db_u16(&r, 5060);
  db_labels(&r, "sip");
  db_ptr(&r, 16);
  /* PTR to www.example.com */
  db_ptr(&r, 16);
  db_rr(&r, 12, 1, 10, 2);
  db_ptr(&r, 12);
  /* HTTPS (type 65): rendered by type only */
  db_ptr(&r, 12);
  db_rr(&r, 65, 1, 10, 3);
  db_bytes(&r, "\x00\x01\x00", 3);
  /* A private-use type, 65280: unknown */
  db_ptr(&r, 12);
  db_rr(&r, 65280, 1, 10, 1);
  db_u8(&r, 0);
  /* WKS: Zeek logs no answer for it */
  db_ptr(&r, 12);
  db_rr(&r, 11, 1, 10, 5);
  db_bytes(&r, "\x01\x02\x03\x04\x06", 5);
  /* Additional: OPT, root owner, UDP size 4096, TTL with DO (RFC 3225) */
  db_u8(&r, 0);
  db_rr(&r, 41, 4096, 0x00008000u, 0);

  assert_int_equal(ph_datagram(&ctx, 1, r.b, r.n, 1), FS_PARSE_OK);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ctx.msgs[0]->side, FS_SIDE_RESPONDER);
  assert_true(ph_str_is(&ctx, 0, "qtype_name", "*"));
  assert_int_equal(ph_field(&ctx, 0, "rtt")->kind, FS_FIELD_NONE); /* no query seen */
  const char *expect[] = {"2001:db8::1",         "cdn.example.com",      "ns1.example.com",
                          "mail.example.com",    "TXT 3 v=1 TXT 4 ab c", "ns1.example.com",
                          "sip.example.com",     "www.example.com",      "HTTPS",
                          "<unknown type=65280>"};
  const fs_field *a = ph_field(&ctx, 0, "answers");
  assert_int_equal(a->count, 10);
  for (uint32_t i = 0; i < 10; i++) {
    assert_string_equal(ph_list_item(&ctx, 0, "answers", i), expect[i]);
  }
  const fs_field *ttl = ph_field(&ctx, 0, "TTLs");
  assert_int_equal(ttl->v.u64s[0], 60);
  assert_int_equal(ttl->v.u64s[4], 30);
  assert_int_equal(ph_u64(&ctx, 0, "DO"), 1);
  assert_int_equal(ph_u64(&ctx, 0, "edns_udp_size"), 4096);
  assert_int_equal(ph_u64(&ctx, 0, "RA"), 1);
}

static void test_rejected_and_names(void **state) {
  (void)state;
  db r = {{0}, 0};
  /* REFUSED without repeating the question: Zeek's "rejected" */
  db_header(&r, 9, DNS_QR | 5, 0, 0, 0, 0);
  ph_datagram(&ctx, 1, r.b, r.n, 1);
  /* NXDOMAIN with the question: not rejected; unknown qclass 7, qtype 300 */
  r.n = 0;
  db_header(&r, 10, DNS_QR | 3, 1, 0, 0, 0);
  db_name(&r, "nope.example");
  db_u16(&r, 300);
  db_u16(&r, 7);
  ph_datagram(&ctx, 1, r.b, r.n, 2);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 0, "rejected"), 1);
  assert_true(ph_str_is(&ctx, 0, "rcode_name", "REFUSED"));
  assert_int_equal(ph_field(&ctx, 0, "query")->kind, FS_FIELD_NONE);
  assert_int_equal(ph_u64(&ctx, 1, "rejected"), 0);
  assert_true(ph_str_is(&ctx, 1, "rcode_name", "NXDOMAIN"));
  assert_true(ph_str_is(&ctx, 1, "qtype_name", "query-300"));
  assert_true(ph_str_is(&ctx, 1, "qclass_name", "qclass-7"));
  assert_int_equal(ph_field(&ctx, 1, "answers")->kind, FS_FIELD_NONE);
}

/* Two outstanding queries answered in reverse order pair by id. */
static void test_correlation(void **state) {
  (void)state;
  db q1, q2, r1, r2;
  sri_nic_query(&q1, 1);
  q2.n = 0;
  db_header(&q2, 2, 0, 1, 0, 0, 0);
  db_name(&q2, "b.example");
  db_u16(&q2, 28);
  db_u16(&q2, 1);
  sri_nic_response(&r1, 1);
  r2.n = 0;
  db_header(&r2, 2, DNS_QR | DNS_RA, 1, 0, 0, 0);
  db_bytes(&r2, q2.b + 12, q2.n - 12);
  ph_datagram(&ctx, 0, q1.b, q1.n, 100);
  ph_datagram(&ctx, 0, q2.b, q2.n, 200);
  ph_datagram(&ctx, 1, r2.b, r2.n, 250);
  ph_datagram(&ctx, 1, r1.b, r1.n, 400);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 0, "trans_id"), 2);
  assert_true(ph_str_is(&ctx, 0, "query", "b.example"));
  assert_int_equal(ph_u64(&ctx, 0, "rtt"), 50);
  assert_int_equal(ph_u64(&ctx, 1, "trans_id"), 1);
  assert_int_equal(ph_u64(&ctx, 1, "rtt"), 300);
}

/* The table bound evicts the oldest (reported unanswered); tick reports
 * queries older than the timeout; finish reports the rest. */
static void test_bound_timeout_finish(void **state) {
  (void)state;
  db q;
  for (unsigned id = 1; id <= 3; id++) {
    sri_nic_query(&q, id);
    ph_datagram(&ctx, 0, q.b, q.n, id * FS_NS_PER_SEC);
  }
  assert_int_equal(ctx.n, 1); /* max_pending=2: id 1 evicted */
  assert_int_equal(ph_u64(&ctx, 0, "trans_id"), 1);
  assert_int_equal(ph_field(&ctx, 0, "rcode")->kind, FS_FIELD_NONE);
  assert_int_equal(ctx.proto->datagram->tick(ctx.parser, 6 * FS_NS_PER_SEC), FS_PARSE_OK);
  assert_int_equal(ctx.n, 1); /* id 2 is 4 s old, timeout 5 s */
  ctx.proto->datagram->tick(ctx.parser, 7 * FS_NS_PER_SEC);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 1, "trans_id"), 2);
  ph_finish(&ctx, 8 * FS_NS_PER_SEC);
  assert_int_equal(ctx.n, 3);
  assert_int_equal(ph_u64(&ctx, 2, "trans_id"), 3);
}

static void test_malformed(void **state) {
  (void)state;
  db m = {{0}, 0};
  /* A name whose pointer points at itself: a loop */
  db_header(&m, 5, 0, 1, 0, 0, 0);
  db_ptr(&m, 12);
  db_u16(&m, 1);
  db_u16(&m, 1);
  assert_int_equal(ph_datagram(&ctx, 0, m.b, m.n, 1), FS_PARSE_OK);
  /* A name longer than 255 octets: five 63-byte labels */
  m.n = 0;
  db_header(&m, 6, 0, 1, 0, 0, 0);
  for (int i = 0; i < 5; i++) {
    char l[64];
    memset(l, 'x', 63);
    db_u8(&m, 63);
    db_bytes(&m, l, 63);
  }
  db_u8(&m, 0);
  db_u16(&m, 1);
  db_u16(&m, 1);
  assert_int_equal(ph_datagram(&ctx, 0, m.b, m.n, 2), FS_PARSE_OK);
  /* A header cut short */
  assert_int_equal(ph_datagram(&ctx, 0, m.b, 7, 3), FS_PARSE_OK);
  assert_true(ctx.counter_calls >= 3);
  /* The two queries with a broken name wait without a question; the cut
   * header is dropped. */
  ph_finish(&ctx, 10);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 0, "trans_id"), 5);
  assert_int_equal(ph_field(&ctx, 0, "query")->kind, FS_FIELD_NONE);
  assert_int_equal(ph_u64(&ctx, 1, "trans_id"), 6);
  assert_int_equal(ph_field(&ctx, 1, "query")->kind, FS_FIELD_NONE);
  ph_clear(&ctx);
  ph_create(&ctx, 0);
  /* An answer running past the end keeps the question and earlier answers */
  db r;
  sri_nic_response(&r, 77);
  ph_datagram(&ctx, 1, r.b, r.n - 2, 4);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_field(&ctx, 0, "answers")->count, 1);
  /* Garbage in a row poisons the flow */
  int st = FS_PARSE_OK;
  for (int i = 0; i < 8 && st == FS_PARSE_OK; i++) {
    st = ph_datagram(&ctx, 0, "garbage", 7, 5);
  }
  assert_int_equal(st, FS_PARSE_POISON);
  assert_non_null(ctx.proto->datagram->poison_reason(ctx.parser));
}

/* TCP: two messages in one segment, then one message over three. */
static void test_tcp_framing(void **state) {
  (void)state;
  db q, r, s = {{0}, 0};
  sri_nic_query(&q, 0x55);
  sri_nic_response(&r, 0x55);
  db_u16(&s, (unsigned)q.n);
  db_bytes(&s, q.b, q.n);
  db_u16(&s, (unsigned)q.n);
  q.b[1] = 0x56; /* second query, id 0x56 */
  db_bytes(&s, q.b, q.n);
  assert_int_equal(ph_feed(&ctx, 0, s.b, s.n, 10), FS_PARSE_OK);
  assert_int_equal(ctx.kept_len[0], 0);
  s.n = 0;
  db_u16(&s, (unsigned)r.n);
  db_bytes(&s, r.b, r.n);
  assert_int_equal(ph_feed(&ctx, 1, s.b, 1, 20), FS_PARSE_OK); /* half the length */
  assert_int_equal(ctx.kept_len[1], 1);
  assert_int_equal(ph_feed(&ctx, 1, s.b + 1, 10, 21), FS_PARSE_OK);
  assert_int_equal(ctx.kept_len[1], 11);
  assert_int_equal(ctx.n, 0);
  assert_int_equal(ph_feed(&ctx, 1, s.b + 11, s.n - 11, 22), FS_PARSE_OK);
  assert_int_equal(ctx.kept_len[1], 0);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "trans_id"), 0x55);
  assert_int_equal(ph_u64(&ctx, 0, "rtt"), 12);
  ph_finish(&ctx, 30);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 1, "trans_id"), 0x56);
}

static void test_tcp_zero_length(void **state) {
  (void)state;
  assert_int_equal(ph_feed(&ctx, 0, "\0\0", 2, 1), FS_PARSE_POISON);
  assert_non_null(ctx.proto->session->poison_reason(ctx.parser));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_probe, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_rfc1035_exchange, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_record_types, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_rejected_and_names, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_correlation, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_bound_timeout_finish, setup_udp_small, teardown),
      cmocka_unit_test_setup_teardown(test_malformed, setup_udp, teardown),
      cmocka_unit_test_setup_teardown(test_tcp_framing, setup_tcp, teardown),
      cmocka_unit_test_setup_teardown(test_tcp_zero_length, setup_tcp, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
