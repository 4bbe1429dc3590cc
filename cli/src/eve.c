/* SPDX-License-Identifier: MIT */
/* Suricata EVE JSON output (docs/output.md, "EVE"). */
#include "eve.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void fsi_eve_time(fs_time_ns ts, char *out, size_t len) {
  time_t sec = (time_t)(ts / FS_NS_PER_SEC);
  unsigned usec = (unsigned)((ts % FS_NS_PER_SEC) / 1000u);
  struct tm tm;
  if (!gmtime_r(&sec, &tm)) {
    snprintf(out, len, "1970-01-01T00:00:00.000000+0000");
    return;
  }
  snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

static void proto_name(uint8_t proto, char *out, size_t len) {
  if (proto == FS_L4_ICMPV6) {
    snprintf(out, len, "IPv6-ICMP");
    return;
  }
  const char *n = fs_l4proto_name(proto);
  size_t i = 0;
  for (; n[i] && i + 1 < len; i++)
    out[i] = (char)toupper((unsigned char)n[i]);
  out[i] = '\0';
}

/* timestamp, flow_id, event_type, src/dest endpoints, proto. */
static void header(fsi_jw *w, const fsi_flowinfo *fi, fs_time_ns ts, const char *event_type) {
  char text[48];
  fsi_jw_obj_begin(w);
  fsi_eve_time(ts, text, sizeof text);
  FSI_JW_KEY(w, "timestamp");
  fsi_jw_cstr(w, text);
  FSI_JW_KEY(w, "flow_id");
  /* 51 bits: exact in every JSON reader that parses numbers as doubles. */
  fsi_jw_u64(w, fi->hash & ((1ull << 51) - 1));
  FSI_JW_KEY(w, "event_type");
  fsi_jw_cstr(w, event_type);
  if (fi->family || fi->is_mac) {
    FSI_JW_KEY(w, "src_ip");
    fsi_jw_addr(w, fi, fi->orig_h);
    if (fi->has_ports) {
      FSI_JW_KEY(w, "src_port");
      fsi_jw_u64(w, fi->orig_p);
    }
    FSI_JW_KEY(w, "dest_ip");
    fsi_jw_addr(w, fi, fi->resp_h);
    if (fi->has_ports) {
      FSI_JW_KEY(w, "dest_port");
      fsi_jw_u64(w, fi->resp_p);
    }
  }
  proto_name(fi->proto, text, sizeof text);
  FSI_JW_KEY(w, "proto");
  fsi_jw_cstr(w, text);
}

/* Suricata's flow.state: new, established, closed. */
static const char *flow_state(const fs_flow_stats *s) {
  switch (s->state) {
  case FS_STATE_CLOSED:
  case FS_STATE_RESET:
  case FS_STATE_CLOSING:
  case FS_STATE_FIN_WAIT: return "closed";
  case FS_STATE_ESTABLISHED:
  case FS_STATE_MIDSTREAM: return "established";
  case FS_STATE_ACTIVE: return s->side[FS_SIDE_RESPONDER].packets ? "established" : "new";
  default: return "new";
  }
}

/* Suricata's flow.reason: timeout, forced (evicted), shutdown (end of input). */
static const char *flow_reason(uint32_t end_reason) {
  switch (end_reason) {
  case FS_END_FLUSH: return "shutdown";
  case FS_END_EVICTED:
  case FS_END_FORGOTTEN:
  case FS_END_BUFFER_OVERFLOW:
  case FS_END_PARSE_ERROR: return "forced";
  default: return "timeout";
  }
}

void fsi_eve_flow(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed) {
  const fs_flow_stats *s = fi->stats;
  char text[48];
  header(w, fi, s->first_seen, "flow");
  if (s->service[0]) {
    FSI_JW_KEY(w, "app_proto");
    /* Suricata calls Zeek's "ssl" service "tls". */
    fsi_jw_cstr(w, strcmp(s->service, "ssl") ? s->service : "tls");
  }
  FSI_JW_KEY(w, "flow");
  fsi_jw_obj_begin(w);
  FSI_JW_KEY(w, "pkts_toserver");
  fsi_jw_u64(w, s->side[FS_SIDE_INITIATOR].packets);
  FSI_JW_KEY(w, "pkts_toclient");
  fsi_jw_u64(w, s->side[FS_SIDE_RESPONDER].packets);
  FSI_JW_KEY(w, "bytes_toserver");
  fsi_jw_u64(w, s->side[FS_SIDE_INITIATOR].ip_bytes);
  FSI_JW_KEY(w, "bytes_toclient");
  fsi_jw_u64(w, s->side[FS_SIDE_RESPONDER].ip_bytes);
  fsi_eve_time(s->first_seen, text, sizeof text);
  FSI_JW_KEY(w, "start");
  fsi_jw_cstr(w, text);
  fsi_eve_time(s->last_seen, text, sizeof text);
  FSI_JW_KEY(w, "end");
  fsi_jw_cstr(w, text);
  FSI_JW_KEY(w, "age");
  fsi_jw_u64(w, s->last_seen > s->first_seen ? (s->last_seen - s->first_seen) / FS_NS_PER_SEC : 0);
  FSI_JW_KEY(w, "state");
  fsi_jw_cstr(w, flow_state(s));
  FSI_JW_KEY(w, "reason");
  fsi_jw_cstr(w, flow_reason(s->end_reason));
  FSI_JW_KEY(w, "alerted");
  fsi_jw_bool(w, 0);
  fsi_jw_obj_end(w);
  if (fi->proto == FS_L4_TCP) {
    FSI_JW_KEY(w, "tcp");
    fsi_jw_obj_begin(w);
    FSI_JW_KEY(w, "state");
    fsi_jw_cstr(w, fs_flow_state_name(s->state));
    if (s->history[0]) {
      FSI_JW_KEY(w, "history");
      fsi_jw_str(w, s->history, strnlen(s->history, sizeof s->history));
    }
    fsi_jw_obj_end(w);
  }
  char cid[FSI_CID_TEXT_SIZE];
  if (fsi_flowinfo_community_id(fi, cid_seed, cid) == 0) {
    FSI_JW_KEY(w, "community_id");
    fsi_jw_cstr(w, cid);
  }
  fsi_jw_obj_end(w);
}

/* How a Zeek-named field becomes a Suricata one. */
enum xform {
  X_SAME = 0,     /* same value under eve_name */
  X_HTTP_VERSION, /* "1.1" -> "HTTP/1.1" */
  X_TLS_VERSION,  /* "TLSv13" -> "TLS 1.3" */
  X_FIRST,        /* first element of a list */
  X_HASH_OBJECT,  /* value -> {"hash": value} */
  X_RDATA_LIST    /* ["a","b"] -> [{"rdata":"a"},{"rdata":"b"}] */
};

typedef struct eve_map {
  const char *protocol;  /* Zeek path */
  const char *zeek_name; /* field name in the message */
  const char *eve_name;  /* Suricata's name */
  int xform;             /* enum xform */
} eve_map;

static const eve_map mappings[] = {
    {"http", "host", "hostname", X_SAME},
    {"http", "uri", "url", X_SAME},
    {"http", "user_agent", "http_user_agent", X_SAME},
    {"http", "method", "http_method", X_SAME},
    {"http", "status_code", "status", X_SAME},
    {"http", "referrer", "http_refer", X_SAME},
    {"http", "version", "protocol", X_HTTP_VERSION},
    {"http", "response_body_len", "length", X_SAME},
    {"http", "resp_mime_types", "http_content_type", X_FIRST},
    {"dns", "trans_id", "id", X_SAME},
    {"dns", "query", "rrname", X_SAME},
    {"dns", "qtype_name", "rrtype", X_SAME},
    {"dns", "rcode_name", "rcode", X_SAME},
    {"dns", "answers", "answers", X_RDATA_LIST},
    {"ssl", "server_name", "sni", X_SAME},
    {"ssl", "version", "version", X_TLS_VERSION},
    {"ssl", "subject", "subject", X_SAME},
    {"ssl", "issuer", "issuerdn", X_SAME},
    {"ssl", "ja3", "ja3", X_HASH_OBJECT},
    {"ssl", "ja3s", "ja3s", X_HASH_OBJECT},
};

static const eve_map *find_map(const char *protocol, const char *name) {
  for (size_t i = 0; i < sizeof mappings / sizeof mappings[0]; i++)
    if (!strcmp(mappings[i].protocol, protocol) && !strcmp(mappings[i].zeek_name, name))
      return &mappings[i];
  return NULL;
}

static void str_prefixed(fsi_jw *w, const char *prefix, const fs_str *s) {
  char buf[64];
  size_t pl = strlen(prefix);
  size_t n = s->ptr ? (size_t)s->len : 0;
  if (pl + n > sizeof buf)
    n = sizeof buf - pl;
  memcpy(buf, prefix, pl);
  if (n)
    memcpy(buf + pl, s->ptr, n);
  fsi_jw_str(w, buf, pl + n);
}

static void tls_version(fsi_jw *w, const fs_str *s) {
  /* Zeek writes TLSv10..TLSv13; Suricata "TLS 1.0".."TLS 1.3". */
  if (s->ptr && s->len == 6 && !memcmp(s->ptr, "TLSv1", 5)) {
    char buf[8] = "TLS 1.x";
    buf[6] = s->ptr[5];
    fsi_jw_cstr(w, buf);
    return;
  }
  fsi_jw_str(w, s->ptr ? s->ptr : "", s->ptr ? (size_t)s->len : 0);
}

static void mapped_value(fsi_jw *w, const eve_map *m, const fs_field *f) {
  switch (m->xform) {
  case X_HTTP_VERSION:
    if (f->kind == FS_FIELD_STR) {
      str_prefixed(w, "HTTP/", &f->v.str);
      return;
    }
    break;
  case X_TLS_VERSION:
    if (f->kind == FS_FIELD_STR) {
      tls_version(w, &f->v.str);
      return;
    }
    break;
  case X_FIRST:
    if (f->kind == FS_FIELD_STR_LIST) {
      if (f->count && f->v.list)
        fsi_jw_str(w, f->v.list[0].ptr ? f->v.list[0].ptr : "",
                   f->v.list[0].ptr ? (size_t)f->v.list[0].len : 0);
      else
        fsi_jw_null(w);
      return;
    }
    break;
  case X_HASH_OBJECT:
    fsi_jw_obj_begin(w);
    FSI_JW_KEY(w, "hash");
    fsi_jw_field_value(w, f);
    fsi_jw_obj_end(w);
    return;
  case X_RDATA_LIST:
    if (f->kind == FS_FIELD_STR_LIST) {
      fsi_jw_arr_begin(w);
      for (uint32_t i = 0; f->v.list && i < f->count; i++) {
        fsi_jw_obj_begin(w);
        FSI_JW_KEY(w, "rdata");
        fsi_jw_str(w, f->v.list[i].ptr ? f->v.list[i].ptr : "",
                   f->v.list[i].ptr ? (size_t)f->v.list[i].len : 0);
        fsi_jw_obj_end(w);
      }
      fsi_jw_arr_end(w);
      return;
    }
    break;
  default: break;
  }
  fsi_jw_field_value(w, f);
}

/* True when a mapped field of @p msg is written under @p name already. */
static int shadowed(const char *protocol, const fs_message *msg, const char *name) {
  for (size_t i = 0; i < sizeof mappings / sizeof mappings[0]; i++) {
    const eve_map *m = &mappings[i];
    if (!strcmp(m->protocol, protocol) && !strcmp(m->eve_name, name) &&
        strcmp(m->zeek_name, name) != 0 && fs_message_field(msg, m->zeek_name))
      return 1;
  }
  return 0;
}

void fsi_eve_app(fsi_jw *w, const fsi_flowinfo *fi, const fs_message *msg, fs_time_ns ts) {
  const char *proto = msg->protocol ? msg->protocol : "unknown";
  const char *event_type = strcmp(proto, "ssl") ? proto : "tls";
  header(w, fi, ts, event_type);
  fsi_jw_key(w, event_type);
  fsi_jw_obj_begin(w);
  int is_dns = !strcmp(proto, "dns");
  if (is_dns) {
    /* One record per query/response pair: an "answer" once the response was seen. */
    FSI_JW_KEY(w, "type");
    fsi_jw_cstr(w, fs_message_field(msg, "rcode_name") || fs_message_field(msg, "rcode") ? "answer"
                                                                                         : "query");
  }
  for (uint32_t i = 0; msg->fields && i < msg->n_fields; i++) {
    const fs_field *f = &msg->fields[i];
    if (!f->name || !f->name[0] || f->kind < FS_FIELD_STR || f->kind > FS_FIELD_DURATION)
      continue;
    if (!strcmp(f->name, "ts") || !strcmp(f->name, "uid") || !strncmp(f->name, "id.", 3))
      continue;
    const eve_map *m = find_map(proto, f->name);
    if (!m && (shadowed(proto, msg, f->name) || (is_dns && !strcmp(f->name, "type"))))
      continue; /* e.g. dns rcode (number) vs rcode_name -> rcode: one key only */
    fsi_jw_key(w, m ? m->eve_name : f->name);
    if (m)
      mapped_value(w, m, f);
    else
      fsi_jw_field_value(w, f);
  }
  fsi_jw_obj_end(w);
  fsi_jw_obj_end(w);
}
