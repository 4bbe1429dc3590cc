/* SPDX-License-Identifier: MIT */
/**
 * @file options.h
 * Command-line parsing of the flowscope command into fsi_opts.
 */
#ifndef FLOWSCOPE_CLI_OPTIONS_H
#define FLOWSCOPE_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include <flowscope/flowscope.h>

/** Exit status: success. */
#define FSI_EXIT_OK 0
/** Exit status: the input or the environment failed (capture, interface, output, plugin file). */
#define FSI_EXIT_ERROR 1
/** Exit status: the command line is wrong (option, value, BPF filter, plugin name). */
#define FSI_EXIT_USAGE 2
/** Exit status: the capture is truncated or damaged (processed up to the damage). */
#define FSI_EXIT_TRUNCATED 3
/** Exit status: a file read was interrupted by SIGINT/SIGTERM (output is complete up to there). */
#define FSI_EXIT_INTERRUPTED 130

/** The subcommands. */
typedef enum fsi_command {
  FSI_CMD_NONE = 0,     /**< none (only --help/--version) */
  FSI_CMD_FLOWS = 1,    /**< one record per flow */
  FSI_CMD_SESSIONS = 2, /**< flows plus application messages */
  FSI_CMD_PLUGINS = 3,  /**< list the plugin registry */
  FSI_CMD_REPLAY = 4    /**< sessions at the capture's own pace */
} fsi_command;

/** Output formats. */
typedef enum fsi_format {
  FSI_FMT_JSON = 0, /**< Zeek-style JSON lines */
  FSI_FMT_EVE = 1,  /**< Suricata EVE JSON lines */
  FSI_FMT_CSV = 2,  /**< flows as CSV with a header line */
  FSI_FMT_TEXT = 3  /**< plugins command only: a human table (its default) */
} fsi_format;

/** Most repeatable option values kept. */
#define FSI_MAX_MULTI 32

/** One --idle-timeout setting. */
typedef struct fsi_timeout_opt {
  uint32_t proto;   /**< fs_timeout_proto */
  int state;        /**< -1 all, 0 new, 1 established, 2 closed */
  fs_time_ns value; /**< the timeout */
} fsi_timeout_opt;

/** Everything the command line says. */
typedef struct fsi_opts {
  uint32_t command;                        /**< fsi_command */
  const char *capture;                     /**< capture path or "-" (NULL with -i) */
  const char *iface;                       /**< live interface, or NULL */
  uint32_t snaplen;                        /**< live snapshot length (0 = library default) */
  uint32_t promisc;                        /**< live: promiscuous mode */
  uint32_t buffer_size;                    /**< live: kernel buffer bytes (0 = libpcap default) */
  const char *filter;                      /**< BPF filter, or NULL */
  uint32_t libpcap_read;                   /**< --libpcap-read: no block reader */
  uint32_t format;                         /**< fsi_format */
  int format_set;                          /**< 1 when --format was given */
  const char *log_dir;                     /**< --log-dir, or NULL */
  const char *plugins[FSI_MAX_MULTI];      /**< --plugin names */
  uint32_t n_plugins;                      /**< entries in plugins */
  const char *plugin_dirs[FSI_MAX_MULTI];  /**< --plugin-dir directories */
  uint32_t n_plugin_dirs;                  /**< entries in plugin_dirs */
  int no_system_plugins;                   /**< --no-system-plugins */
  uint32_t max_flows;                      /**< --max-flows (0 = default) */
  uint32_t workers;                        /**< --workers (0/1 = the caller's thread) */
  fsi_timeout_opt timeouts[FSI_MAX_MULTI]; /**< --idle-timeout settings, in order */
  uint32_t n_timeouts;                     /**< entries in timeouts */
  int dedup;                               /**< --dedup */
  int progress;                            /**< --progress */
  int stats;                               /**< --stats */
  int allow_truncated;                     /**< --allow-truncated */
  double speed;                            /**< replay: pace multiplier (0 = no pacing) */
  uint64_t uid_seed;                       /**< --uid-seed */
  uint16_t cid_seed;                       /**< --community-id-seed */
  int show_help;                           /**< --help */
  int show_version;                        /**< --version */
} fsi_opts;

/**
 * Parses argv into @p o. Returns FSI_EXIT_OK, or FSI_EXIT_USAGE after
 * printing one line naming the problem to stderr.
 */
int fsi_parse_options(int argc, char **argv, fsi_opts *o);

/** Prints the --help text to @p f. */
void fsi_print_help(FILE *f);

/** Prints a one-line error "flowscope: error: ..." to stderr. */
void fsi_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints a one-line warning "flowscope: warning: ..." to stderr. */
void fsi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FLOWSCOPE_CLI_OPTIONS_H */
