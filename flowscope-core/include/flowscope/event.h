/* SPDX-License-Identifier: MIT */
/**
 * @file event.h
 * Events produced by trackers and drivers, and the event-sink vtable.
 * An event and everything it points to is borrowed for the callback only.
 */
#ifndef FLOWSCOPE_EVENT_H
#define FLOWSCOPE_EVENT_H

#include "flowscope/flow.h"
#include "flowscope/key.h"
#include "flowscope/message.h"

FS_BEGIN_DECLS

/** Event types. Consumers ignore types they do not know. Since 1.0. */
typedef enum fs_event_type {
  FS_EV_NONE = 0,         /**< never emitted */
  FS_EV_FLOW_STARTED = 1, /**< first packet of a new flow */
  FS_EV_PACKET = 2,       /**< a packet was accounted to a flow (opt-in) */
  FS_EV_ESTABLISHED = 3,  /**< TCP handshake completed */
  FS_EV_STATE_CHANGE = 4, /**< flow state changed (prev_state -> state) */
  FS_EV_FLOW_ENDED = 5,   /**< flow ended; stats are final */
  FS_EV_ANOMALY = 6,      /**< something was dropped or odd; see anomaly */
  FS_EV_MESSAGE = 7       /**< an application message from a parser */
} fs_event_type;

/** Details of an anomaly event. Since 1.0. */
typedef struct fs_anomaly {
  uint32_t struct_size; /**< sizeof(fs_anomaly) as built */
  uint32_t kind;        /**< fs_anomaly_kind */
  uint32_t side;        /**< fs_side concerned (for flow anomalies) */
  uint32_t reserved0;   /**< zero */
  uint64_t count;       /**< how many (segments, bytes, flows) in this tick */
  uint64_t total;       /**< running total since start */
  const char *detail;   /**< static human-readable detail, may be NULL */
} fs_anomaly;

/**
 * One event. Type-specific members are NULL/0 when they do not apply.
 * Size-prefixed; grows at the end. Since 1.0.
 */
typedef struct fs_event {
  uint32_t struct_size;         /**< sizeof(fs_event) as built */
  uint32_t type;                /**< fs_event_type */
  fs_time_ns ts;                /**< packet time (or tick time) of the event */
  const fs_flow_key *key;       /**< the flow, NULL for global anomalies */
  const fs_flow_stats *stats;   /**< current (or final, for ENDED) stats; NULL if none */
  uint32_t side;                /**< fs_side of the packet/message, when relevant */
  uint32_t state;               /**< fs_flow_state now */
  uint32_t prev_state;          /**< fs_flow_state before (STATE_CHANGE) */
  uint32_t end_reason;          /**< fs_end_reason (FLOW_ENDED) */
  const fs_anomaly *anomaly;    /**< ANOMALY */
  const fs_message *message;    /**< MESSAGE */
  const fs_packet_view *packet; /**< PACKET (and STARTED), NULL otherwise */
  const void *flow_user;        /**< host data attached to the flow, if any */
  uint32_t orientation;         /**< fs_orientation of the key for the initiator */
  uint32_t worker;              /**< worker index that produced it (0 single-threaded) */
} fs_event;

/** An event sink: receives events. Since 1.0. */
typedef struct fs_event_sink_ops {
  uint32_t struct_size; /**< sizeof(fs_event_sink_ops) */
  uint32_t reserved0;   /**< zero */
  /** Called for every event; the event is borrowed for the call. */
  void (*on_event)(void *self, const fs_event *ev);
  /** Optional: flush buffered output (end of input, tick). */
  void (*flush)(void *self);
  /** Optional: release the instance. */
  void (*destroy)(void *self);
} fs_event_sink_ops;

/** A sink instance: ops plus its opaque instance pointer. Since 1.0. */
typedef struct fs_event_sink {
  const fs_event_sink_ops *ops; /**< vtable */
  void *self;                   /**< instance */
} fs_event_sink;

/** Static name of an event type ("flow_started", ...). Since 1.0. */
FS_API const char *fs_event_type_name(uint32_t type);

FS_END_DECLS

#endif /* FLOWSCOPE_EVENT_H */
