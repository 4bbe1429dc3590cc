/* SPDX-License-Identifier: MIT */
/**
 * @file csv.h
 * Flows as CSV (RFC 4180 quoting) with one header line; the columns are
 * the conn record's fields, empty where the JSON record omits the field.
 */
#ifndef FLOWSCOPE_CLI_CSV_H
#define FLOWSCOPE_CLI_CSV_H

#include "records.h"

/** Appends the header line (with its newline). */
void fsi_csv_header(fsi_jw *w);

/** Appends one flow as a line (with its newline). */
void fsi_csv_conn(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed);

#endif /* FLOWSCOPE_CLI_CSV_H */
