# SPDX-License-Identifier: MIT
# Block reader against libpcap, differential (seed corpus in corpus/fuzz_source_reader,
# made by make_source_reader_seeds.py).
fs_add_fuzz(fuzz_source_reader SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_source_reader.c)
