/* SPDX-License-Identifier: MIT */
/*
 * Protocol hand-off (docs/drivers.md): a parser returning FS_PARSE_HANDOFF
 * says its protocol ends where it stopped reading (an HTTP CONNECT tunnel,
 * a STARTTLS-like upgrade). The parser finishes and goes; detection starts
 * again, without the protocols that handed off, on the bytes it did not
 * take. At most FSI_HANDOFF_MAX per flow, so a flow cannot loop.
 */
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

void fsi_route_stream(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                      fs_time_ns ts) {
  if (len == 0 || (fl->flags & FSI_DF_BYPASS))
    return;
  if (fl->flags & FSI_DF_DECIDED)
    fsi_feed_stream(fl, side, data, len, ts);
  else
    fsi_detect_data(fl, side, data, len, ts, 0);
}

void fsi_route_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                        fs_time_ns ts) {
  if (fl->flags & FSI_DF_BYPASS)
    return;
  if (fl->flags & FSI_DF_DECIDED)
    fsi_feed_datagram(fl, side, data, len, ts);
  else
    fsi_detect_data(fl, side, data, len, ts, 1);
}

/* Finishes and destroys the current parser; the flow is undecided after. */
static void end_parser(fsi_dflow *fl, fs_time_ns ts) {
  const fs_protocol_desc *p = fl->d->protos[fl->proto].desc;
  void *parser = fl->parser;
  if (fl->flags & FSI_DF_TCP) {
    p->session->finish(parser, ts);
    p->session->destroy(parser);
  } else {
    p->datagram->finish(parser, ts);
    p->datagram->destroy(parser);
  }
  fl->parser = NULL;
  fl->handed_off |= UINT64_C(1) << fl->proto;
  fl->proto = -1;
  /* The next parser is told about a closed side afresh (check_end_side). */
  fl->flags &= ~(FSI_DF_DECIDED | FSI_DF_END_SIDE0 | FSI_DF_END_SIDE1);
  fl->seen_bytes[0] = fl->seen_bytes[1] = 0;
}

void fsi_handoff(fsi_dflow *fl, uint32_t side, const uint8_t *rest, size_t rest_len,
                 fs_time_ns ts) {
  fs_driver *d = fl->d;
  side &= 1u;
  if (fl->parser == NULL || (fl->flags & (FSI_DF_BYPASS | FSI_DF_POISONED)))
    return;
  if (fl->handoffs >= FSI_HANDOFF_MAX) {
    d->ctr.handoffs_refused++;
    fsi_dflow_bypass(fl); /* as FS_PARSE_DONE */
    return;
  }
  fl->handoffs++;
  d->ctr.handoffs++;
  /* The unconsumed bytes leave the flow first: the next parser's tails start empty. */
  fsi_dtail held[2] = {fl->tail[0], fl->tail[1]};
  memset(fl->tail, 0, sizeof fl->tail);
  end_parser(fl, ts);
  fsi_detect_restart(fl);
  /* The other side's held bytes arrived before this call's; this side's
   * held bytes (a feed of its tail) or the rest of this feed follow. */
  const uint32_t order[2] = {side ^ 1u, side};
  for (int i = 0; i < 2; i++) {
    const fsi_dtail *t = &held[order[i]];
    fsi_route_stream(fl, order[i], t->buf, t->len, ts);
  }
  fsi_route_stream(fl, side, rest, rest_len, ts);
  for (int s = 0; s < 2; s++) {
    if (held[s].buf != NULL) {
      d->budget.used -= held[s].cap;
      free(held[s].buf);
    }
  }
}
