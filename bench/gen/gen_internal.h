/* SPDX-License-Identifier: MIT */
/* Internals of the capture generator: flows are planned a batch of packets
 * ("steps") at a time; frames are built from a step on demand. */
#ifndef FS_GEN_INTERNAL_H
#define FS_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fs_gen.h"

/** Steps planned at once for one flow (an HTTP response fits). */
#define FSI_GEN_MAX_STEPS 160
/** Real bytes of the current message per direction; beyond it payload is filler. */
#define FSI_GEN_MSG_MAX 4096
/** TCP payload per segment (IPv4 and IPv6 both fit a 1500-byte MTU). */
#define FSI_GEN_MSS 1440
/** Largest IP packet the generator emits unfragmented. */
#define FSI_GEN_MTU 1500

/** Where a step's payload comes from. */
enum fsi_gen_src {
  FSI_SRC_NONE = 0,   /* no payload */
  FSI_SRC_MSG = 1,    /* [off, off+len) of the direction's message (then text filler) */
  FSI_SRC_RANDOM = 2, /* pseudo-random bytes, a function of (flow, dir, off) */
  FSI_SRC_TLSREC = 3  /* one TLS application_data record: 5-byte header + random */
};

/** One packet of a flow's plan. */
typedef struct fsi_gen_step {
  uint8_t dir;      /* 0: client to server, 1: server to client */
  uint8_t flags;    /* TCP flags; 0 for UDP */
  uint8_t src;      /* enum fsi_gen_src */
  uint8_t syn_opts; /* 1: carry SYN options (MSS, window scale, SACK permitted) */
  uint32_t len;     /* payload bytes (UDP: datagram payload, may exceed the MTU when fragmented) */
  uint32_t off;     /* offset into the message or random stream */
} fsi_gen_step;

/** Phases of a flow's life; plan functions move through them. */
enum fsi_gen_phase {
  FSI_PH_START = 0,
  FSI_PH_HELLO = 1,    /* TLS hello flights */
  FSI_PH_DATA = 2,     /* request/response exchanges */
  FSI_PH_TEARDOWN = 3, /* FIN or RST */
  FSI_PH_DONE = 4
};

/** One open flow. */
typedef struct fsi_gen_flow {
  uint32_t kind;  /* fs_gen_kind */
  uint32_t phase; /* enum fsi_gen_phase */
  uint8_t v6;     /* 1: IPv6 */
  uint8_t frag;   /* 1: plain UDP with datagrams larger than the MTU (IPv4) */
  uint8_t tls13;  /* 1: TLS 1.3 handshake shape */
  uint8_t rst;    /* 1: teardown by RST */
  uint8_t cli_addr[16], srv_addr[16];
  uint16_t cli_port, srv_port;
  uint32_t seq[2];   /* next sequence number per direction */
  uint16_t ip_id[2]; /* next IPv4 id per direction */
  uint32_t budget;   /* packets still to plan in the data phase */
  uint32_t exchange; /* exchanges planned so far */
  uint64_t id;       /* flow index (unique) */
  uint64_t seed;     /* per-flow content seed */
  uint32_t n_steps, cur;
  uint32_t frag_off; /* IPv4 fragmentation: payload offset of the next fragment */
  uint16_t frag_csum;
  uint8_t counted; /* 1 once its first frame is out (stats count flows seen on the link) */
  uint8_t pad0;
  fsi_gen_step steps[FSI_GEN_MAX_STEPS];
  uint32_t msg_len[2];
  uint8_t msg[2][FSI_GEN_MSG_MAX];
} fsi_gen_flow;

/** Small fast PRNG (xoshiro256**), seeded by splitmix64. */
typedef struct fsi_gen_rng {
  uint64_t s[4];
} fsi_gen_rng;

void fsi_gen_rng_seed(fsi_gen_rng *r, uint64_t seed);
uint64_t fsi_gen_rng_next(fsi_gen_rng *r);
/** Uniform in [0, n) (n > 0). */
uint32_t fsi_gen_rng_below(fsi_gen_rng *r, uint32_t n);
/** splitmix64 step as a stateless mixer. */
uint64_t fsi_gen_mix64(uint64_t x);

/**
 * Plans the next batch of steps of @p f (called when its plan is used up).
 * Sets f->phase to FSI_PH_DONE and plans nothing when the flow is over.
 */
void fsi_gen_plan(fsi_gen_flow *f, fsi_gen_rng *r, uint32_t data_mean);

/** Writes @p len payload bytes of step @p st starting @p at bytes into it. */
void fsi_gen_payload(const fsi_gen_flow *f, const fsi_gen_step *st, uint32_t at, uint8_t *dst,
                     uint32_t len);

/**
 * Builds the frame for the current step of @p f into @p buf (at least
 * 1514 bytes) and advances the flow (fragments advance the step only when
 * the last one is out). Returns the frame length; *is_fragment is set.
 * @p scratch (65536 bytes) is used for whole-datagram checksums.
 */
uint32_t fsi_gen_frame(fsi_gen_flow *f, int checksums, uint8_t *buf, uint8_t *scratch,
                       int *is_fragment);

#endif /* FS_GEN_INTERNAL_H */
