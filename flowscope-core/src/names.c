/* SPDX-License-Identifier: MIT */
/* Enum-to-string tables. Names are stable: they appear in logs. */
#include "flowscope/event.h"
#include "flowscope/flow.h"
#include "flowscope/key.h"

static const char *pick(const char *const *names, size_t n, uint32_t v) {
  return (v < n && names[v]) ? names[v] : "unknown";
}
#define PICK(tbl, v) pick((tbl), sizeof(tbl) / sizeof((tbl)[0]), (v))

const char *fs_flow_state_name(uint32_t state) {
  static const char *const names[] = {"active",   "syn_sent", "syn_received", "established",
                                      "fin_wait", "closing",  "closed",       "reset",
                                      "aborted",  "midstream"};
  return PICK(names, state);
}

const char *fs_end_reason_name(uint32_t reason) {
  static const char *const names[] = {
      "none",        "fin",   "rst",       "idle_timeout", "evicted", "buffer_overflow",
      "parse_error", "flush", "forgotten", "reused"};
  return PICK(names, reason);
}

const char *fs_anomaly_kind_name(uint32_t kind) {
  static const char *const names[] = {
      "none",          "out_of_order",  "buffer_overflow",  "eviction_pressure",
      "parse_error",   "fragment_drop", "overlap_mismatch", "gap",
      "time_backwards"};
  return PICK(names, kind);
}

const char *fs_event_type_name(uint32_t type) {
  static const char *const names[] = {"none",         "flow_started", "packet",  "established",
                                      "state_change", "flow_ended",   "anomaly", "message"};
  return PICK(names, type);
}

const char *fs_l4proto_name(uint32_t proto) {
  switch (proto) {
  case 1: return "icmp";
  case 6: return "tcp";
  case 17: return "udp";
  case 58: return "icmp";
  case 132: return "sctp";
  default: return "unknown_transport";
  }
}
