/* SPDX-License-Identifier: MIT */
/* JA3, JA3S, JA4 and SNI of real `openssl s_client` ClientHellos, recorded on
 * loopback by tests/data/record-tls-openssl.sh, against
 * tls-openssl-loopback.expected.tsv, which tests/tls/tls_reference.py (an
 * independent Python reading of the capture's bytes) wrote at recording time.
 * The versions, ciphers and curves asserted come from how the script made
 * each connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls_pcap_sessions.h"

static void *plugin_handle;
static const fs_protocol_desc *proto;

static int setup(void **state) {
  (void)state;
  proto = th_load(&plugin_handle);
  return proto ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  if (plugin_handle)
    dlclose(plugin_handle);
  return 0;
}

/* The record of a connection (@p retry: its second ClientHello and
 * HelloRetryRequest). */
static tps_record *by_port(tps_result *r, unsigned port, int retry) {
  for (size_t i = 0; i < r->n; i++)
    if (r->rec[i].client_port == port && r->rec[i].retry == retry)
      return &r->rec[i];
  return NULL;
}

static void test_openssl_fingerprints(void **state) {
  (void)state;
  tps_result res = {0};
  assert_int_equal(tps_run(FS_TEST_DATA "/tls-openssl-loopback.pcap", proto, &res), 0);
  assert_int_equal(res.messages, 4); /* one message per connection */
  assert_int_equal(res.n, 5);        /* + the HelloRetryRequest connection's retry record */
  assert_int_equal(res.poisoned, 0);
  FILE *f = fopen(FS_TEST_DATA "/tls-openssl-loopback.expected.tsv", "r");
  assert_non_null(f);
  char line[4096];
  unsigned ch_rows = 0, sh_rows = 0, retry_rows = 0;
  unsigned ch_port[8] = {0}, n_ch = 0, sh_port[8] = {0}, n_sh = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *fld[6] = {0};
    size_t n = 0;
    for (char *p = line; n < 6; n++) {
      fld[n] = p;
      char *t = strchr(p, '\t');
      if (!t) {
        n++;
        break;
      }
      *t = '\0';
      p = t + 1;
    }
    unsigned port = (unsigned)atoi(fld[1]);
    if (strcmp(fld[0], "ch") == 0 && n == 6) {
      /* The message carries the connection's first ClientHello; a second
       * one (after a HelloRetryRequest) is in its retry_* fields. */
      int again = 0;
      for (unsigned i = 0; i < n_ch; i++)
        again |= ch_port[i] == port;
      ch_port[n_ch++ & 7u] = port;
      tps_record *x = by_port(&res, port, again);
      assert_non_null(x);
      ch_rows += !again;
      retry_rows += again;
      assert_string_equal(x->sni, fld[2]);
      assert_string_equal(x->ja3_string, fld[3]);
      assert_string_equal(x->ja3, fld[4]);
      assert_string_equal(x->ja4, fld[5]);
    } else if (strcmp(fld[0], "sh") == 0 && n == 4) {
      /* A connection's first ServerHello row is its HelloRetryRequest when a
       * second one follows (hrr_ja3s); the last row is the message's ja3s. */
      int again = 0;
      for (unsigned i = 0; i < n_sh; i++)
        again |= sh_port[i] == port;
      sh_port[n_sh++ & 7u] = port;
      sh_rows++;
      tps_record *main_rec = by_port(&res, port, 0), *retry = by_port(&res, port, 1);
      assert_non_null(main_rec);
      tps_record *x = !again && retry ? retry : main_rec;
      x->matched = strcmp(x->ja3s, fld[3]) == 0 ? 1 : -1;
    }
  }
  fclose(f);
  assert_int_equal(ch_rows, 4);
  assert_int_equal(retry_rows, 1); /* the HelloRetryRequest connection */
  assert_int_equal(sh_rows, 5);    /* one HelloRetryRequest */
  for (size_t i = 0; i < res.n; i++)
    assert_int_equal(res.rec[i].matched, 1);
  /* What the recording script asked openssl for. */
  assert_string_equal(res.rec[0].version, "TLSv13");
  unsigned n13 = 0, n12 = 0;
  for (size_t i = 0; i < res.n; i++) {
    tps_record *x = &res.rec[i];
    if (x->retry)
      continue;
    n13 += strcmp(x->version, "TLSv13") == 0;
    n12 += strcmp(x->version, "TLSv12") == 0;
    assert_int_equal(x->established, 1); /* every connection exchanged data */
    if (strcmp(x->version, "TLSv12") == 0) {
      /* -cipher ECDHE-ECDSA-AES128-GCM-SHA256; curve from ServerKeyExchange */
      assert_string_equal(x->ja3s, "10b29985cd0ecd878ac083f059c42d51");
      assert_string_equal(x->curve, "x25519");
      /* The certificate is in clear up to TLS 1.2: -subj /CN=tls.flowscope.test */
      assert_string_equal(x->subject_cn, "tls.flowscope.test");
    } else if (strcmp(x->sni, "hrr.flowscope.test") == 0) {
      assert_string_equal(x->curve, "secp384r1"); /* the server's only group */
    } else {
      assert_string_equal(x->curve, "x25519");
    }
    if (strcmp(x->version, "TLSv13") == 0)
      assert_string_equal(x->subject_cn, ""); /* encrypted in TLS 1.3 */
  }
  assert_int_equal(n13, 3);
  assert_int_equal(n12, 1);
  tps_free(&res);
}

/* The same capture with every reassembled chunk cut into 1-3 byte pieces
 * gives byte-identical messages (all fields, rendered as text). */
static void test_openssl_capture_split_invariant(void **state) {
  (void)state;
  static th_out whole_text, split_text;
  tps_result whole = {0}, split = {0};
  whole.render = &whole_text;
  assert_int_equal(tps_run(FS_TEST_DATA "/tls-openssl-loopback.pcap", proto, &whole), 0);
  assert_int_equal(whole.messages, 4);
  for (unsigned seed = 1; seed <= 5; seed++) {
    memset(&split_text, 0, sizeof split_text);
    split.split = seed;
    split.render = &split_text;
    assert_int_equal(tps_run(FS_TEST_DATA "/tls-openssl-loopback.pcap", proto, &split), 0);
    assert_int_equal(split.messages, 4);
    assert_string_equal(whole_text.text, split_text.text);
    tps_free(&split);
  }
  tps_free(&whole);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_openssl_fingerprints),
      cmocka_unit_test(test_openssl_capture_split_invariant),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
