/* SPDX-License-Identifier: MIT */
/**
 * @file plugins.h
 * The plugin registry as the command line configures it, and the
 * `flowscope plugins` listing.
 */
#ifndef FLOWSCOPE_CLI_PLUGINS_H
#define FLOWSCOPE_CLI_PLUGINS_H

#include "options.h"

/**
 * Creates the registry from --plugin-dir, --no-system-plugins and --plugin
 * (or loads every plugin found). Prints one line and returns an FSI_EXIT_*
 * code on failure (FSI_EXIT_USAGE when a plugin asked for by name is not
 * found). Refusals while loading all are warnings when @p warn_refusals.
 */
int fsi_plugins_load(const fsi_opts *o, int warn_refusals, fs_registry **out);

/** Runs `flowscope plugins`. Returns an FSI_EXIT_* code. */
int fsi_cmd_plugins(const fsi_opts *o);

#endif /* FLOWSCOPE_CLI_PLUGINS_H */
