/* SPDX-License-Identifier: MIT */
/**
 * @file core.h
 * Umbrella header of flowscope-core: the ABI-stable types, vtables, events
 * and plugin descriptor. See docs/abi.md for the compatibility rules.
 */
#ifndef FLOWSCOPE_CORE_H
#define FLOWSCOPE_CORE_H

#include "flowscope/error.h"
#include "flowscope/event.h"
#include "flowscope/export.h"
#include "flowscope/flow.h"
#include "flowscope/key.h"
#include "flowscope/message.h"
#include "flowscope/parser.h"
#include "flowscope/plugin.h"
#include "flowscope/traits.h"
#include "flowscope/types.h"
#include "flowscope/version.h"

#endif /* FLOWSCOPE_CORE_H */
