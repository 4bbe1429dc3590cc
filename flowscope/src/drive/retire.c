/* SPDX-License-Identifier: MIT */
/*
 * Retired flows (docs/drivers.md): a UDP flow the tracker still holds, but
 * whose driver state can no longer change what comes out, gives that state
 * back. Either nothing parses it any more (bypassed, no parser to finish),
 * or its parser says it is idle (finish would emit nothing and a fresh
 * parser would take the next datagram the same way). The tracker's slot
 * then holds a tag naming the protocol, so a later datagram gets a fresh
 * parser without detection, and the flow's end patches the same (zero)
 * reassembly diagnostics a UDP flow state would have.
 *
 * Flows with anything that outlives a datagram are kept: TCP (reassembly,
 * tails, diagnostics), hand-offs, unconsumed-byte drops, anomalies sent this
 * tick, a pending end, a poisoned parser, and flows revived once already
 * (so a busy flow costs at most one extra parser, not one per datagram).
 *
 * Any flow (TCP too) whose parser returned FS_PARSE_DONE is bypassed: the
 * parser is fed and ticked no more, only finished at the end. When it says
 * it is idle (finish would emit nothing) it is finished and freed at once.
 */
#include <string.h>

#include "drive/drive_internal.h"

void *fsi_dflow_retire(fsi_dflow *fl, fs_time_ns ts) {
  fs_driver *d = fl->d;
  const uint32_t keep = FSI_DF_TCP | FSI_DF_ENDING | FSI_DF_END_QUEUED | FSI_DF_POISONED |
                        FSI_DF_OVERFLOW | FSI_DF_REVIVED;
  if ((fl->flags & keep) || fl->handoffs != 0 || fl->probe != NULL ||
      (fl->tail_dropped[0] | fl->tail_dropped[1]) != 0 ||
      (fl->anom_sent[0] | fl->anom_sent[1]) != 0)
    return NULL;
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

void fsi_parser_release_done(fsi_dflow *fl, fs_time_ns ts) {
  fs_driver *d = fl->d;
  if (fl->parser == NULL || (fl->flags & FSI_DF_POISONED) || fl->proto < 0)
    return;
  const fs_protocol_desc *p = d->protos[fl->proto].desc;
  if (fl->flags & FSI_DF_TCP) {
    const fs_session_parser_ops *ops = p->session;
    if (!FS_HAS_MEMBER(ops, fs_session_parser_ops, idle) || ops->idle == NULL ||
        !ops->idle(fl->parser))
      return;
    ops->finish(fl->parser, ts);
    ops->destroy(fl->parser);
  } else {
    const fs_datagram_parser_ops *ops = p->datagram;
    if (!FS_HAS_MEMBER(ops, fs_datagram_parser_ops, idle) || ops->idle == NULL ||
        !ops->idle(fl->parser))
      return;
    ops->finish(fl->parser, ts);
    ops->destroy(fl->parser);
  }
  fl->parser = NULL;
  d->ctr.parsers_released++;
}
