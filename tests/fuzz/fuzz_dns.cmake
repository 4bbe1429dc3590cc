# SPDX-License-Identifier: MIT
# dns plugin parser harness (plugin sources compiled in).
set(_dns_dir ${CMAKE_SOURCE_DIR}/plugins/dns)
fs_add_fuzz(fuzz_dns
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dns.c ${_dns_dir}/dns_plugin.c ${_dns_dir}/dns_flow.c
    ${_dns_dir}/dns_wire.c ${_dns_dir}/dns_names.c
  INCLUDES ${_dns_dir} ${CMAKE_CURRENT_SOURCE_DIR})
