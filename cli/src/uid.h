/* SPDX-License-Identifier: MIT */
/**
 * @file uid.h
 * Connection uids: "C" followed by 17 base62 characters of a 96-bit hash
 * of the flow key, the flow's first timestamp and the run seed. The same
 * flow gets the same uid whatever the number of workers or the order in
 * which flows end (DESIGN section 8).
 */
#ifndef FLOWSCOPE_CLI_UID_H
#define FLOWSCOPE_CLI_UID_H

#include <flowscope/core.h>

/** Size of a uid text with its NUL. */
#define FSI_UID_SIZE 19

/**
 * Writes the uid of the flow @p key first seen at @p first_seen into
 * @p out (FSI_UID_SIZE bytes). Returns the low 64 bits of the hash, which
 * the EVE writer uses (masked to 51 bits) as the numeric flow_id.
 */
uint64_t fsi_uid(const fs_flow_key *key, fs_time_ns first_seen, uint64_t seed, char *out);

#endif /* FLOWSCOPE_CLI_UID_H */
