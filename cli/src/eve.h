/* SPDX-License-Identifier: MIT */
/**
 * @file eve.h
 * Suricata EVE JSON records: "flow" events for ended flows and
 * "http"/"dns"/"tls"/... events for application messages, with Suricata's
 * field names where one exists (the mapping is in docs/output.md).
 */
#ifndef FLOWSCOPE_CLI_EVE_H
#define FLOWSCOPE_CLI_EVE_H

#include "records.h"

/** Builds one EVE "flow" event for an ended flow. */
void fsi_eve_flow(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed);

/** Builds one EVE application event for @p msg. */
void fsi_eve_app(fsi_jw *w, const fsi_flowinfo *fi, const fs_message *msg, fs_time_ns ts);

/** Suricata's timestamp text ("2026-11-26T12:58:16.550208+0000") into @p out (>= 40 bytes). */
void fsi_eve_time(fs_time_ns ts, char *out, size_t len);

#endif /* FLOWSCOPE_CLI_EVE_H */
