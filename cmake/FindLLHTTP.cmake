# SPDX-License-Identifier: MIT
# FindLLHTTP: llhttp's generated C sources and header, as Debian's node-llhttp
# ships them (/usr/share/llhttp/*.c, /usr/share/include/llhttp/llhttp.h), or
# from a folder the user names with -DLLHTTP_ROOT=<dir> (searched first; it
# may hold the files directly or in src/ and include/ as llhttp's release
# tarball lays them out).
#
# Result: LLHTTP_FOUND, LLHTTP_INCLUDE_DIR, LLHTTP_SOURCES, LLHTTP_VERSION and
# the OBJECT library target LLHTTP::llhttp: llhttp compiled on its own, without
# flowscope's warning flags (third-party code), position-independent and with
# hidden visibility, so its symbols stay inside the one plugin that links it.
include_guard(GLOBAL)

set(LLHTTP_ROOT "${LLHTTP_ROOT}" CACHE PATH "Folder holding llhttp.h and api.c/http.c/llhttp.c")

set(_llhttp_hints)
if(LLHTTP_ROOT)
  list(APPEND _llhttp_hints "${LLHTTP_ROOT}" "${LLHTTP_ROOT}/include" "${LLHTTP_ROOT}/src"
    "${LLHTTP_ROOT}/include/llhttp")
endif()

find_path(LLHTTP_INCLUDE_DIR NAMES llhttp.h
  HINTS ${_llhttp_hints}
  PATHS /usr/share/include/llhttp /usr/include/llhttp /usr/local/include/llhttp
  NO_CMAKE_SYSTEM_PATH)

set(LLHTTP_SOURCES)
foreach(_f api.c http.c llhttp.c)
  unset(_llhttp_src CACHE)
  find_file(_llhttp_src NAMES ${_f}
    HINTS ${_llhttp_hints}
    PATHS /usr/share/llhttp /usr/local/share/llhttp
    NO_DEFAULT_PATH)
  if(_llhttp_src)
    list(APPEND LLHTTP_SOURCES "${_llhttp_src}")
  endif()
  unset(_llhttp_src CACHE)
endforeach()

if(LLHTTP_INCLUDE_DIR AND EXISTS "${LLHTTP_INCLUDE_DIR}/llhttp.h")
  file(STRINGS "${LLHTTP_INCLUDE_DIR}/llhttp.h" _llhttp_ver REGEX "^#define LLHTTP_VERSION_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" _maj "${_llhttp_ver}")
  string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" _min "${_llhttp_ver}")
  string(REGEX REPLACE ".*PATCH ([0-9]+).*" "\\1" _pat "${_llhttp_ver}")
  set(LLHTTP_VERSION "${_maj}.${_min}.${_pat}")
endif()

list(LENGTH LLHTTP_SOURCES _llhttp_nsrc)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LLHTTP
  REQUIRED_VARS LLHTTP_INCLUDE_DIR LLHTTP_SOURCES
  VERSION_VAR LLHTTP_VERSION)
if(LLHTTP_FOUND AND NOT _llhttp_nsrc EQUAL 3)
  message(WARNING "llhttp: expected api.c, http.c and llhttp.c, found: ${LLHTTP_SOURCES}")
  set(LLHTTP_FOUND FALSE)
endif()

if(LLHTTP_FOUND AND NOT TARGET LLHTTP::llhttp)
  add_library(fs_llhttp_objects OBJECT ${LLHTTP_SOURCES})
  target_include_directories(fs_llhttp_objects SYSTEM PUBLIC "${LLHTTP_INCLUDE_DIR}")
  set_target_properties(fs_llhttp_objects PROPERTIES
    POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden C_STANDARD 99
    C_EXTENSIONS OFF)
  # Third-party code: no -Werror, no warnings at all; sanitizers still apply
  # because they come from add_compile_options.
  target_compile_options(fs_llhttp_objects PRIVATE -w)
  add_library(LLHTTP::llhttp ALIAS fs_llhttp_objects)
endif()
mark_as_advanced(LLHTTP_INCLUDE_DIR)
