/* SPDX-License-Identifier: MIT */
/* Command-line parsing. Every option here is listed in --help and docs/cli.md
 * (tests/cli checks both directions). */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "Usage:\n"
    "  flowscope flows    [OPTIONS] CAPTURE   one record per flow (connection)\n"
    "  flowscope sessions [OPTIONS] CAPTURE   flow records plus application messages\n"
    "  flowscope replay   [OPTIONS] CAPTURE   sessions at the capture's recorded pace\n"
    "  flowscope plugins  [OPTIONS]           what the plugin registry found and refused\n"
    "  flowscope --version | --help\n"
    "\n"
    "CAPTURE is a pcap or pcapng file, '-' for standard input, or -i IFACE.\n"
    "\n"
    "Input:\n"
    "  -i, --interface IFACE     capture live from IFACE (Ctrl-C stops and flushes)\n"
    "      --snaplen BYTES       live: bytes captured per packet (default 262144)\n"
    "      --promisc             live: put the interface in promiscuous mode\n"
    "      --buffer-size BYTES   live: kernel capture buffer (K/M/G suffixes)\n"
    "      --filter BPF          only packets matching the BPF expression\n"
    "      --allow-truncated     a truncated capture is a warning, not an error\n"
    "      --libpcap-read        read every record through libpcap's pcap_next_ex\n"
    "                            (slower; same packets; for comparison)\n"
    "      --speed X             replay: X times the recorded pace (0 = no pauses;\n"
    "                            default 1)\n"
    "\n"
    "Output (JSON lines on standard output unless --log-dir):\n"
    "      --format FMT          json (Zeek-style, default), eve (Suricata EVE JSON)\n"
    "                            or csv (flows only, with a header line)\n"
    "      --log-dir DIR         one file per log in DIR: conn.log, http.log,\n"
    "                            dns.log, ssl.log, ... (eve.json for --format eve,\n"
    "                            conn.csv for --format csv)\n"
    "      --uid-seed N          seed of the connection uids (default 0)\n"
    "      --community-id-seed N seed of the Community ID hash (default 0)\n"
    "      --progress            progress bar on stderr (when it is a terminal)\n"
    "      --stats               summary on stderr at the end: packets, bytes,\n"
    "                            flows, records, drops by reason\n"
    "\n"
    "Tracking:\n"
    "      --max-flows N         most flows tracked at once; the least recently\n"
    "                            used is evicted beyond (default 262144)\n"
    "      --workers N           N worker threads, flows sharded by host pair\n"
    "                            (default 1: everything on one thread); each\n"
    "                            worker tracks up to 1.25 x max-flows / N\n"
    "      --idle-timeout P=S    idle timeout of protocol P (tcp, udp, icmp,\n"
    "                            other) in seconds; P.new=S, P.established=S and\n"
    "                            P.closed=S set one state class (repeatable)\n"
    "      --dedup               drop duplicate packets (e.g. seen twice on lo)\n"
    "\n"
    "Plugins (sessions, replay, plugins):\n"
    "      --plugin NAME         load only plugin NAME (repeatable; default: all found)\n"
    "      --plugin-dir DIR      search DIR first (repeatable); then\n"
    "                            $FLOWSCOPE_PLUGIN_PATH, then the system directory\n"
    "      --no-system-plugins   do not search the system plugin directory\n"
    "\n"
    "  -h, --help                this text\n"
    "  -V, --version             versions of flowscope, its library and core ABI\n"
    "\n"
    "Exit status: 0 success; 1 input, interface, plugin or output failure;\n"
    "2 bad command line (option, value, BPF filter, unknown plugin name);\n"
    "3 truncated capture (records up to the damage were written);\n"
    "130 a file read interrupted by SIGINT/SIGTERM.\n"
    "\n"
    "Examples:\n"
    "  flowscope sessions tests/data/loopback-http-tls-dns.pcap\n"
    "  flowscope flows --format csv --filter 'tcp port 443' capture.pcapng > flows.csv\n"
    "  flowscope sessions --log-dir logs/ --plugin http --plugin dns capture.pcap\n"
    "  tcpdump -i eth0 -w - | flowscope flows -\n"
    "  flowscope sessions -i eth0 --filter 'port 53' --stats\n"
    "  flowscope replay --speed 10 capture.pcap | jq 'select(._path==\"dns\")'\n"
    "  flowscope plugins --plugin-dir build/plugins-out\n"
    "\n"
    "Record fields are described in docs/output.md; options in docs/cli.md.\n";

void fsi_print_help(FILE *f) { fputs(help_text, f); }

static void vmsg(const char *kind, const char *fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  /* One line: a cause from a library may carry a newline. */
  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  fprintf(stderr, "flowscope: %s: %s\n", kind, line);
}

void fsi_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("error", fmt, ap);
  va_end(ap);
}

void fsi_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("warning", fmt, ap);
  va_end(ap);
}

enum {
  OPT_SNAPLEN = 1000,
  OPT_PROMISC,
  OPT_BUFFER_SIZE,
  OPT_FILTER,
  OPT_FORMAT,
  OPT_LOG_DIR,
  OPT_PLUGIN,
  OPT_PLUGIN_DIR,
  OPT_NO_SYSTEM_PLUGINS,
  OPT_MAX_FLOWS,
  OPT_IDLE_TIMEOUT,
  OPT_DEDUP,
  OPT_PROGRESS,
  OPT_STATS,
  OPT_ALLOW_TRUNCATED,
  OPT_SPEED,
  OPT_UID_SEED,
  OPT_CID_SEED,
  OPT_WORKERS,
  OPT_LIBPCAP_READ
};

static const struct option long_opts[] = {
    {"interface", required_argument, NULL, 'i'},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"promisc", no_argument, NULL, OPT_PROMISC},
    {"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"log-dir", required_argument, NULL, OPT_LOG_DIR},
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"no-system-plugins", no_argument, NULL, OPT_NO_SYSTEM_PLUGINS},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"allow-truncated", no_argument, NULL, OPT_ALLOW_TRUNCATED},
    {"libpcap-read", no_argument, NULL, OPT_LIBPCAP_READ},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"uid-seed", required_argument, NULL, OPT_UID_SEED},
    {"community-id-seed", required_argument, NULL, OPT_CID_SEED},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Parses an unsigned decimal with an optional K/M/G (x1024) suffix. */
static int parse_size(const char *s, uint64_t max, int suffixes, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+')
    return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -1;
  uint64_t mul = 1;
  if (suffixes && *end) {
    switch (*end) {
    case 'k':
    case 'K': mul = 1024u; break;
    case 'm':
    case 'M': mul = 1024u * 1024u; break;
    case 'g':
    case 'G': mul = 1024u * 1024u * 1024u; break;
    default: return -1;
    }
    end++;
  }
  if (*end)
    return -1;
  if (v > max / mul)
    return -1;
  *out = (uint64_t)v * mul;
  return 0;
}

/* Parses seconds (decimal, fractions allowed) into nanoseconds. */
static int parse_seconds(const char *s, fs_time_ns *out) {
  if (!s || !*s)
    return -1;
  errno = 0;
  char *end = NULL;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
    return -1;
  *out = (fs_time_ns)(v * 1e9 + 0.5);
  return 0;
}

/* --idle-timeout PROTO[.STATE]=SECONDS */
static int parse_timeout(const char *arg, fsi_timeout_opt *t) {
  const char *eq = strchr(arg, '=');
  if (!eq)
    return -1;
  char name[32];
  size_t n = (size_t)(eq - arg);
  if (n == 0 || n >= sizeof name)
    return -1;
  memcpy(name, arg, n);
  name[n] = '\0';
  char *dot = strchr(name, '.');
  t->state = -1;
  if (dot) {
    *dot++ = '\0';
    if (!strcmp(dot, "new"))
      t->state = 0;
    else if (!strcmp(dot, "established"))
      t->state = 1;
    else if (!strcmp(dot, "closed"))
      t->state = 2;
    else
      return -1;
  }
  if (!strcmp(name, "tcp"))
    t->proto = FS_TIMEOUT_TCP;
  else if (!strcmp(name, "udp"))
    t->proto = FS_TIMEOUT_UDP;
  else if (!strcmp(name, "icmp"))
    t->proto = FS_TIMEOUT_ICMP;
  else if (!strcmp(name, "other"))
    t->proto = FS_TIMEOUT_OTHER;
  else
    return -1;
  if (parse_seconds(eq + 1, &t->value) || t->value == 0)
    return -1;
  return 0;
}

static uint32_t command_of(const char *s) {
  if (!strcmp(s, "flows"))
    return FSI_CMD_FLOWS;
  if (!strcmp(s, "sessions"))
    return FSI_CMD_SESSIONS;
  if (!strcmp(s, "plugins"))
    return FSI_CMD_PLUGINS;
  if (!strcmp(s, "replay"))
    return FSI_CMD_REPLAY;
  return FSI_CMD_NONE;
}

static int bad_value(const char *opt, const char *val, const char *want) {
  fsi_error("invalid value '%s' for %s: %s", val, opt, want);
  return FSI_EXIT_USAGE;
}

int fsi_parse_options(int argc, char **argv, fsi_opts *o) {
  memset(o, 0, sizeof *o);
  o->speed = 1.0;
  int first = 1;
  if (argc >= 2 && argv[1][0] != '-') {
    o->command = command_of(argv[1]);
    if (o->command == FSI_CMD_NONE) {
      fsi_error("unknown command '%s' (commands: flows, sessions, replay, plugins; see "
                "'flowscope --help')",
                argv[1]);
      return FSI_EXIT_USAGE;
    }
    first = 2;
  }
  /* getopt_long over argv[first..]: argv[first - 1] plays argv[0]. */
  int sub_argc = argc - first + 1;
  char **sub_argv = argv + first - 1;
  opterr = 0;
  optind = 1;
  int c, idx;
  while ((c = getopt_long(sub_argc, sub_argv, ":i:hV", long_opts, &idx)) != -1) {
    uint64_t v;
    const char *name = (optind > 1 && optind - 1 < sub_argc) ? sub_argv[optind - 1] : "?";
    switch (c) {
    case 'i': o->iface = optarg; break;
    case OPT_SNAPLEN:
      if (parse_size(optarg, 262144, 0, &v) || v < 64)
        return bad_value("--snaplen", optarg, "a number of bytes from 64 to 262144");
      o->snaplen = (uint32_t)v;
      break;
    case OPT_PROMISC: o->promisc = 1; break;
    case OPT_BUFFER_SIZE:
      if (parse_size(optarg, UINT32_MAX, 1, &v) || v == 0)
        return bad_value("--buffer-size", optarg, "a number of bytes (K/M/G suffixes) up to 4G-1");
      o->buffer_size = (uint32_t)v;
      break;
    case OPT_FILTER: o->filter = optarg; break;
    case OPT_LIBPCAP_READ: o->libpcap_read = 1; break;
    case OPT_FORMAT:
      if (!strcmp(optarg, "json"))
        o->format = FSI_FMT_JSON;
      else if (!strcmp(optarg, "eve"))
        o->format = FSI_FMT_EVE;
      else if (!strcmp(optarg, "csv"))
        o->format = FSI_FMT_CSV;
      else
        return bad_value("--format", optarg, "one of json, eve, csv");
      o->format_set = 1;
      break;
    case OPT_LOG_DIR:
      if (!*optarg)
        return bad_value("--log-dir", optarg, "a directory");
      o->log_dir = optarg;
      break;
    case OPT_PLUGIN:
    case OPT_PLUGIN_DIR: {
      const char **arr = c == OPT_PLUGIN ? o->plugins : o->plugin_dirs;
      uint32_t *n = c == OPT_PLUGIN ? &o->n_plugins : &o->n_plugin_dirs;
      if (!*optarg)
        return bad_value(c == OPT_PLUGIN ? "--plugin" : "--plugin-dir", optarg, "not empty");
      if (*n >= FSI_MAX_MULTI) {
        fsi_error("too many %s options (at most %d)", c == OPT_PLUGIN ? "--plugin" : "--plugin-dir",
                  FSI_MAX_MULTI);
        return FSI_EXIT_USAGE;
      }
      arr[(*n)++] = optarg;
      break;
    }
    case OPT_NO_SYSTEM_PLUGINS: o->no_system_plugins = 1; break;
    case OPT_MAX_FLOWS:
      if (parse_size(optarg, UINT32_MAX, 1, &v) || v == 0)
        return bad_value("--max-flows", optarg, "a positive number of flows");
      o->max_flows = (uint32_t)v;
      break;
    case OPT_WORKERS:
      if (parse_size(optarg, 64, 0, &v) || v == 0 || v > 64)
        return bad_value("--workers", optarg, "a number of worker threads, 1..64");
      o->workers = (uint32_t)v;
      break;
    case OPT_IDLE_TIMEOUT:
      if (o->n_timeouts >= FSI_MAX_MULTI) {
        fsi_error("too many --idle-timeout options (at most %d)", FSI_MAX_MULTI);
        return FSI_EXIT_USAGE;
      }
      if (parse_timeout(optarg, &o->timeouts[o->n_timeouts]))
        return bad_value("--idle-timeout", optarg,
                         "PROTO=SECONDS or PROTO.STATE=SECONDS with PROTO tcp|udp|icmp|other, "
                         "STATE new|established|closed, SECONDS > 0");
      o->n_timeouts++;
      break;
    case OPT_DEDUP: o->dedup = 1; break;
    case OPT_PROGRESS: o->progress = 1; break;
    case OPT_STATS: o->stats = 1; break;
    case OPT_ALLOW_TRUNCATED: o->allow_truncated = 1; break;
    case OPT_SPEED: {
      char *end = NULL;
      errno = 0;
      double s = strtod(optarg, &end);
      if (errno || end == optarg || *end || !isfinite(s) || s < 0 || s > 1e6)
        return bad_value("--speed", optarg, "a number from 0 (no pauses) to 1000000");
      o->speed = s;
      break;
    }
    case OPT_UID_SEED:
      if (parse_size(optarg, UINT64_MAX, 0, &v))
        return bad_value("--uid-seed", optarg, "an unsigned 64-bit number");
      o->uid_seed = v;
      break;
    case OPT_CID_SEED:
      if (parse_size(optarg, 65535, 0, &v))
        return bad_value("--community-id-seed", optarg, "a number from 0 to 65535");
      o->cid_seed = (uint16_t)v;
      break;
    case 'h': o->show_help = 1; break;
    case 'V': o->show_version = 1; break;
    case ':':
      fsi_error("option '%s' needs a value (see 'flowscope --help')", name);
      return FSI_EXIT_USAGE;
    default:
      if (optopt && optopt < 256 && optopt != '?')
        fsi_error("unknown option '-%c' (see 'flowscope --help')", optopt);
      else
        fsi_error("unknown option '%s' (see 'flowscope --help')", name);
      return FSI_EXIT_USAGE;
    }
  }
  if (o->show_help || o->show_version)
    return FSI_EXIT_OK;
  if (o->command == FSI_CMD_NONE) {
    fsi_error("no command given (commands: flows, sessions, replay, plugins; see "
              "'flowscope --help')");
    return FSI_EXIT_USAGE;
  }
  int rest = sub_argc - optind;
  if (o->command == FSI_CMD_PLUGINS) {
    if (rest > 0) {
      fsi_error("'plugins' takes no capture argument (got '%s')", sub_argv[optind]);
      return FSI_EXIT_USAGE;
    }
    if (o->format_set && o->format != FSI_FMT_JSON)
      return bad_value("--format", o->format == FSI_FMT_EVE ? "eve" : "csv",
                       "plugins lists as a text table (default) or as json");
    if (!o->format_set)
      o->format = FSI_FMT_TEXT;
    return FSI_EXIT_OK;
  }
  if (o->iface) {
    if (rest > 0) {
      fsi_error("give either -i IFACE or a CAPTURE, not both (got '%s')", sub_argv[optind]);
      return FSI_EXIT_USAGE;
    }
    if (o->command == FSI_CMD_REPLAY) {
      fsi_error("'replay' reads a capture file, not an interface");
      return FSI_EXIT_USAGE;
    }
  } else {
    if (rest == 0) {
      fsi_error("no CAPTURE given (a pcap/pcapng file, '-' for standard input, or -i IFACE)");
      return FSI_EXIT_USAGE;
    }
    if (rest > 1) {
      fsi_error("one CAPTURE at a time (got '%s' and '%s')", sub_argv[optind],
                sub_argv[optind + 1]);
      return FSI_EXIT_USAGE;
    }
    o->capture = sub_argv[optind];
  }
  return FSI_EXIT_OK;
}
