# SPDX-License-Identifier: MIT
# http plugin parser harness (sources compiled in, llhttp linked as objects).
if(TARGET LLHTTP::llhttp)
  set(_http_dir ${CMAKE_SOURCE_DIR}/plugins/http)
  fs_add_fuzz(fuzz_http
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_http.c ${_http_dir}/http_plugin.c
      ${_http_dir}/http_conn.c ${_http_dir}/http_txn.c ${_http_dir}/http_detect.c
      ${_http_dir}/http_reqline.c
    LIBS LLHTTP::llhttp
    INCLUDES ${_http_dir} ${CMAKE_CURRENT_SOURCE_DIR})
endif()
