# SPDX-License-Identifier: MIT
# Decoder + extractor + fragment reassembly harness (seed corpus in corpus/fuzz_decode,
# made by make_decode_seeds.py).
fs_add_fuzz(fuzz_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_decode.c)
