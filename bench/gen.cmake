# SPDX-License-Identifier: MIT
# The deterministic capture generator: static library `fsgen` (benchmarks and
# tests link it; include <fs_gen.h>) and the `flowscope-gen` program.
file(GLOB _fsgen_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/gen/gen*.c)
add_library(fsgen STATIC ${_fsgen_sources})
target_include_directories(fsgen PUBLIC ${CMAKE_CURRENT_LIST_DIR}/gen)
target_link_libraries(fsgen PUBLIC flowscope-internal)
target_compile_definitions(fsgen PRIVATE _GNU_SOURCE)
flowscope_warnings(fsgen)

add_executable(flowscope-gen ${CMAKE_CURRENT_LIST_DIR}/gen/flowscope_gen_main.c)
target_link_libraries(flowscope-gen PRIVATE fsgen)
target_compile_definitions(flowscope-gen PRIVATE _GNU_SOURCE)
flowscope_warnings(flowscope-gen)
