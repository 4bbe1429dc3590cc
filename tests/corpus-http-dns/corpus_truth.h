/* SPDX-License-Identifier: MIT */
/* Reading tshark's truth files (http.tsv, dns.tsv, see the corpus
 * MANIFEST) into comparable tuples, and counting how many truth tuples a
 * list of our tuples reproduces (multiset intersection). */
#ifndef FS_TEST_CORPUS_TRUTH_H
#define FS_TEST_CORPUS_TRUTH_H

#include <stddef.h>

/* A growable list of tuple strings (fields joined by '\t'). */
typedef struct tuples {
  char **v;
  size_t n, cap;
} tuples;

void tuples_add(tuples *t, const char *s);
void tuples_free(tuples *t);

/* HTTP truth: one "method\thost\turi\tstatus" per request on TCP (paired in
 * order with the responses of its tcp.stream; status "-" when none).
 * Requests tshark saw over UDP (SSDP and the like) are counted in *udp. */
int truth_http(const char *path, tuples *out, size_t *udp);

/* DNS truth: "Q\tid\tqname\tqtype" per query and
 * "R\tid\tqname\tqtype\trcode\tA\tAAAA" per response (A, AAAA: the
 * comma-joined addresses tshark lists, from every section). */
int truth_dns(const char *path, tuples *out);

/* How many of @p truth are matched by distinct entries of @p ours, using
 * @p eq (NULL: equal strings). Entries of truth not matched are appended to
 * @p misses when not NULL. */
size_t tuples_match(const tuples *truth, const tuples *ours,
                    int (*eq)(const char *t, const char *o), tuples *misses);

#endif
