# SPDX-License-Identifier: MIT
# fuzz_tls: the tls plugin's session parser, compiled in (no dlopen), with a
# whole-vs-split comparison. Seeds: tests/fuzz/corpus/fuzz_tls (made by
# tests/tls/make_fuzz_seeds.py from hand-built and RFC 8448 handshakes).
if(TARGET tls)
  pkg_check_modules(FUZZ_TLS_LIBMD REQUIRED IMPORTED_TARGET libmd)
  fs_add_fuzz(fuzz_tls
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_tls.c ${FLOWSCOPE_TLS_SOURCES}
            ${CMAKE_SOURCE_DIR}/plugins/tls/tls_plugin.c
    LIBS PkgConfig::FUZZ_TLS_LIBMD
    INCLUDES ${CMAKE_SOURCE_DIR}/plugins/tls ${CMAKE_SOURCE_DIR}/tests/tls)
endif()
