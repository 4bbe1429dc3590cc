/* SPDX-License-Identifier: MIT */
/**
 * @file metrics.h
 * Names of the metrics libflowscope reports through fs_metrics_ops
 * (traits.h). Every name is documented in docs/observability.md with its
 * type, unit, labels and when it is reported. Names follow Prometheus
 * conventions (snake_case, `_total` for counters, base units).
 * Other components append their names here.
 */
#ifndef FLOWSCOPE_METRICS_H
#define FLOWSCOPE_METRICS_H

/** Counter: packets accounted by the tracker (reported per tick as a delta). */
#define FS_METRIC_TRACK_PACKETS "flowscope_tracker_packets_total"
/** Counter: flows started by the tracker. */
#define FS_METRIC_TRACK_FLOWS_CREATED "flowscope_tracker_flows_created_total"
/** Counter: flows ended by the tracker, any reason. */
#define FS_METRIC_TRACK_FLOWS_ENDED "flowscope_tracker_flows_ended_total"
/** Counter: flows evicted because the table was full (max_flows). */
#define FS_METRIC_TRACK_FLOWS_EVICTED "flowscope_tracker_flows_evicted_total"
/** Counter: packets whose timestamp was older than the latest seen. */
#define FS_METRIC_TRACK_TIME_BACKWARDS "flowscope_tracker_time_backwards_total"
/** Gauge: live flows in the table (set once per tick). */
#define FS_METRIC_TRACK_FLOWS_ACTIVE "flowscope_tracker_flows_active"
/** Histogram: duration of each ended flow, seconds (recorded at flow end). */
#define FS_METRIC_TRACK_FLOW_DURATION "flowscope_tracker_flow_duration_seconds"
/** Counter: packets suppressed as duplicates by fs_dedup. */
#define FS_METRIC_DEDUP_DROPPED "flowscope_dedup_dropped_total"

#endif /* FLOWSCOPE_METRICS_H */
