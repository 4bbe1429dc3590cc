/* SPDX-License-Identifier: MIT */
/* Library-internal: lets the workers take a file source's packets in place
 * (fs_workers_attach_source). The source's block reader then keeps every
 * block it read until the workers are done with the packets in it. */
#ifndef FLOWSCOPE_SRC_SOURCE_RETAIN_H
#define FLOWSCOPE_SRC_SOURCE_RETAIN_H

#include "flowscope/source.h"
#include "source/pcap_reader.h"

/* Puts @p src's block reader in retain mode with @p nblocks blocks;
 * @p reuse is called (on the reading thread, inside fs_source_next*)
 * before a block is overwritten and must return only once no packet in it
 * is in use. Returns 0 with the pool in *base (nblocks blocks of
 * *block_bytes); FS_E_UNSUPPORTED when the source is not read by the block
 * reader (live, pcapng, ...), FS_E_STATE once reading began, FS_E_NOMEM. */
int fsi_source_retain(fs_source *src, uint32_t nblocks, fsi_block_reuse_fn reuse, void *ctx,
                      const uint8_t **base, size_t *block_bytes);

/* Stops calling reuse(); for when nobody holds a packet any more. */
void fsi_source_unhook(fs_source *src);

#endif
