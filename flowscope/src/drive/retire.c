/* SPDX-License-Identifier: MIT */
/*
 * Retired flows (docs/drivers.md): a flow the tracker still holds, but
 * whose driver state can no longer change what comes out, gives that state
 * back. Either nothing parses it any more (bypassed, no parser to finish),
 * or its parser says it is idle (finish would emit nothing and a fresh
 * parser would take the next datagram the same way). The tracker's slot
 * then holds a tag naming the protocol, so a later datagram gets a fresh
 * parser without detection, and the flow's end patches the same (zero)
 * reassembly diagnostics a UDP flow state would have.
 *
 * Flows with anything that outlives a datagram are kept: hand-offs,
 * unconsumed-byte drops, anomalies sent this tick, a pending end, a
 * poisoned parser, and flows revived once already (so a busy flow costs at
 * most one extra parser, not one per datagram).
 *
 * A TCP flow retires too once it is bypassed and its parser is gone (a TLS
 * connection after its handshake): its reassemblers are stopped for good,
 * so later segments need no driver state at all. Only flows whose
 * reassembly has nothing to report at the end retire (no segment held out
 * of order, dropped or mismatched); the others keep their state so that
 * their end carries those diagnostics.
 *
 * Any flow (TCP too) whose parser returned FS_PARSE_DONE is bypassed: the
 * parser is fed and ticked no more, only finished at the end. When it says
 * it is idle (finish would emit nothing) it is finished and freed at once.
 */
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

/* Whether a TCP flow's reassemblers can no longer change what comes out:
 * the flow is bypassed (they are stopped and nothing is fed any more), its
 * parser is gone, detection is settled, and they hold nothing the flow's
 * end would report (its end then patches the same zeros). Bypassing freed
 * the unconsumed-byte buffers and held bytes; this checks they are gone. */
static int tcp_settled(const fsi_dflow *fl) {
  if (!(fl->flags & FSI_DF_BYPASS) || fl->parser != NULL ||
      !(fl->flags & (FSI_DF_DECIDED | FSI_DF_UNCLAIMED)))
    return 0;
  for (uint32_t s = 0; s < 2; s++) {
    const fsi_reasm *r = &fsi_dflow_crs(fl)[s];
    if (fl->tail[s].buf != NULL || r->poisoned || r->n_ranges != 0 || r->ring != NULL ||
        (r->st.ooo_segments | r->st.dropped_segments | r->st.dropped_bytes |
         r->st.overlap_mismatch | r->st.high_watermark) != 0)
      return 0;
  }
  return 1;
}

void *fsi_dflow_retire(fsi_dflow *fl, fs_time_ns ts) {
  fs_driver *d = fl->d;
  const uint32_t keep =
      FSI_DF_ENDING | FSI_DF_END_QUEUED | FSI_DF_POISONED | FSI_DF_OVERFLOW | FSI_DF_REVIVED;
  if ((fl->flags & keep) || fl->handoffs != 0 || fl->probe != NULL ||
      (fl->tail_dropped[0] | fl->tail_dropped[1]) != 0 ||
      (fl->anom_sent[0] | fl->anom_sent[1]) != 0)
    return NULL;
  if (fl->flags & FSI_DF_TCP) {
    if (!tcp_settled(fl))
      return NULL;
    fsi_reasm_release(&fsi_dflow_rs(fl)[0]); /* the ranges arrays, if any */
    fsi_reasm_release(&fsi_dflow_rs(fl)[1]);
    d->ctr.flows_retired++;
    fsi_dflow_free(fl);
    return fsi_retired_tag(d, -1); /* TCP flows never come back: nothing to revive */
  }
  int32_t proto = -1;
  if (fl->flags & FSI_DF_BYPASS) {
    if (fl->parser != NULL)
      return NULL; /* FS_PARSE_DONE: its finish() still runs at the end */
  } else {
    if (!(fl->flags & FSI_DF_DECIDED) || fl->parser == NULL)
      return NULL; /* still detecting */
    const fs_datagram_parser_ops *ops = d->protos[fl->proto].desc->datagram;
    if (!FS_HAS_MEMBER(ops, fs_datagram_parser_ops, idle) || ops->idle == NULL ||
        !ops->idle(fl->parser))
      return NULL;
    /* The contract says finish emits nothing now; it still runs, so every
     * parser sees create, finish, destroy. */
    ops->finish(fl->parser, ts);
    ops->destroy(fl->parser);
    fl->parser = NULL;
    proto = fl->proto;
  }
  d->ctr.flows_retired++;
  fsi_dflow_free(fl);
  return fsi_retired_tag(d, proto);
}

int fsi_parser_release_done(fsi_dflow *fl, fs_time_ns ts) {
  fs_driver *d = fl->d;
  if (fl->parser == NULL || (fl->flags & FSI_DF_POISONED) || fl->proto < 0)
    return 0;
  const fs_protocol_desc *p = d->protos[fl->proto].desc;
  if (fl->flags & FSI_DF_TCP) {
    const fs_session_parser_ops *ops = p->session;
    if (!FS_HAS_MEMBER(ops, fs_session_parser_ops, idle) || ops->idle == NULL ||
        !ops->idle(fl->parser))
      return 0;
    ops->finish(fl->parser, ts);
    ops->destroy(fl->parser);
  } else {
    const fs_datagram_parser_ops *ops = p->datagram;
    if (!FS_HAS_MEMBER(ops, fs_datagram_parser_ops, idle) || ops->idle == NULL ||
        !ops->idle(fl->parser))
      return 0;
    ops->finish(fl->parser, ts);
    ops->destroy(fl->parser);
  }
  fl->parser = NULL;
  d->ctr.parsers_released++;
  return 1;
}
