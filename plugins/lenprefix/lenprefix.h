/* SPDX-License-Identifier: MIT */
/*
 * The lenprefix wire format, shared by the descriptor and the parser.
 *
 * A stream in each direction is a sequence of frames:
 *
 *   offset 0  u32 big-endian  length: bytes of body after the 5-byte header
 *   offset 4  u8              type:   1 request, 2 response, 3 notify, 4 heartbeat
 *   offset 5  length bytes    body
 *
 * Frames may straddle TCP segments anywhere, header included.
 */
#ifndef FLOWSCOPE_PLUGINS_LENPREFIX_H
#define FLOWSCOPE_PLUGINS_LENPREFIX_H

#include "flowscope/plugin.h"

/** Header bytes: length (4) + type (1). */
#define LP_HEADER_LEN 5u
/** Default largest body; a longer declared length poisons the parser (desync). */
#define LP_DEFAULT_MAX_BODY (1u << 20)
/** Hard ceiling of the max_frame option. */
#define LP_MAX_BODY_LIMIT (1u << 30)
/** Body bytes copied into each message's "body" field. */
#define LP_PREVIEW_LEN 32u
/** Highest type byte the probe accepts (types 1..LP_MAX_TYPE are defined). */
#define LP_MAX_TYPE 4u
/** TCP port the protocol is usually found on (detection hint). */
#define LP_PORT 7777u

/** The session parser ops (lenprefix_parser.c). */
extern const fs_session_parser_ops lp_session_ops;

#endif /* FLOWSCOPE_PLUGINS_LENPREFIX_H */
