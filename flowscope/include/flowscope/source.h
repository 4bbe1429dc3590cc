/* SPDX-License-Identifier: MIT */
/**
 * @file source.h
 * Packet sources over libpcap (offline files, standard input, live
 * interfaces) and a pcap file writer.
 */
#ifndef FLOWSCOPE_SOURCE_H
#define FLOWSCOPE_SOURCE_H

#include "flowscope/core.h"

FS_BEGIN_DECLS

/** An open packet source (opaque, like pcap_t). */
typedef struct fs_source fs_source;

/** Options for opening a source. Size-prefixed; start from fs_source_config_default(). */
typedef struct fs_source_config {
  uint32_t struct_size; /**< sizeof(fs_source_config) */
  uint32_t snaplen;     /**< live: bytes per packet to capture (default 262144) */
  uint32_t promisc;     /**< live: promiscuous mode (default 0) */
  uint32_t immediate;   /**< live: immediate mode (default 1) */
  uint32_t buffer_size; /**< live: kernel buffer bytes (0 = libpcap default) */
  uint32_t timeout_ms;  /**< live: read timeout, so the caller can tick (default 200) */
  const char *filter;   /**< BPF filter expression, or NULL */
  /**
   * Offline: 1 reads every record through libpcap's pcap_next_ex. The
   * default (0) reads classic pcap files in large blocks and returns each
   * packet in place, and lets libpcap take any other format and any record
   * it would cut or refuse; both give the same packets.
   */
  uint32_t libpcap_read;
} fs_source_config;

/** Counters of a source. Size-prefixed. */
typedef struct fs_source_stats {
  uint32_t struct_size;     /**< sizeof(fs_source_stats) */
  uint32_t live;            /**< 1 for an interface */
  uint64_t packets;         /**< packets returned so far */
  uint64_t bytes;           /**< captured bytes returned so far */
  uint64_t kernel_received; /**< live: packets received by the filter (pcap_stats ps_recv) */
  uint64_t kernel_dropped;  /**< live: dropped for lack of buffer space (ps_drop) */
  uint64_t iface_dropped;   /**< live: dropped by the interface/driver (ps_ifdrop) */
  uint64_t file_size;       /**< offline regular file: its size, else 0 */
  uint64_t file_offset;     /**< offline regular file: bytes consumed so far, else 0 */
} fs_source_stats;

/** Fills @p cfg with defaults. */
FS_API void fs_source_config_default(fs_source_config *cfg);

/**
 * Opens a capture file (pcap, pcap-ns, pcapng) or "-" for standard input.
 * On error returns a negative FS_E_* and writes libpcap's message and the
 * path into @p errbuf (FS_ERRBUF_SIZE bytes).
 */
FS_API int fs_source_open_file(fs_source **out, const char *path, const fs_source_config *cfg,
                               char *errbuf);

/** Opens a live interface. Errors as fs_source_open_file (FS_E_PERM for permission). */
FS_API int fs_source_open_live(fs_source **out, const char *iface, const fs_source_config *cfg,
                               char *errbuf);

/**
 * Reads the next packet into @p pkt (borrowed until the next call).
 * Returns 1 for a packet, 0 when a live read timed out, FS_E_EOF at the end
 * of a file, FS_E_TRUNCATED when the file ends inside a record (everything
 * before it was returned), or another negative FS_E_* (see fs_source_error).
 */
FS_API int fs_source_next(fs_source *src, fs_packet_view *pkt);

/**
 * Reads up to @p max packets into @p pkts, all of them borrowed until the
 * next call on @p src: the way to hand a batch to fs_driver_feed_batch or
 * fs_tracker_track_batch without copying. Returns how many (at least 1),
 * or what fs_source_next would return instead of a first packet (0 for a
 * live timeout, FS_E_EOF, ...). An end or error met after the first packet
 * is returned by the next call. Classic pcap files are returned in place;
 * other files are copied into a 2 MiB buffer the source owns; live
 * sources return one packet per call.
 */
FS_API int fs_source_next_batch(fs_source *src, fs_packet_view *pkts, size_t max);

/** Text of the last error, naming the path or interface; "" if none. */
FS_API const char *fs_source_error(const fs_source *src);

/** Fills counters (refreshes kernel statistics for live sources). */
FS_API int fs_source_get_stats(fs_source *src, fs_source_stats *out);

/** Link type (DLT_*) of the current/first interface. */
FS_API int fs_source_link_type(const fs_source *src);

/** Makes a blocked fs_source_next return FS_E_EOF soon (signal-safe). */
FS_API void fs_source_break(fs_source *src);

/** Closes the source; NULL is fine. */
FS_API void fs_source_close(fs_source *src);

/** A pcap file writer (opaque). */
typedef struct fs_pcap_writer fs_pcap_writer;

/**
 * Creates a pcap file ("-" for standard output) with link type @p link_type
 * and snapshot length @p snaplen; @p nanosecond selects the nanosecond
 * magic. Errors name the path in @p errbuf.
 */
FS_API int fs_pcap_writer_open(fs_pcap_writer **out, const char *path, uint32_t link_type,
                               uint32_t snaplen, int nanosecond, char *errbuf);

/** Appends one packet (data, caplen, wirelen, ts are used). */
FS_API int fs_pcap_writer_write(fs_pcap_writer *w, const fs_packet_view *pkt);

/** Flushes and closes; returns FS_E_IO if any write failed. NULL is fine. */
FS_API int fs_pcap_writer_close(fs_pcap_writer *w);

FS_END_DECLS

#endif /* FLOWSCOPE_SOURCE_H */
