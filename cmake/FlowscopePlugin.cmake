# SPDX-License-Identifier: MIT
# flowscope_add_plugin(NAME SOURCES src...) builds NAME.so: a module linking
# only flowscope-core, exporting only fs_plugin_entry, installed into the
# versioned plugin directory. Works in tree and from an installed SDK.
include_guard(GLOBAL)
set(_FLOWSCOPE_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")
function(flowscope_add_plugin name)
  cmake_parse_arguments(P "" "COMPONENT" "SOURCES;LIBRARIES;INCLUDES" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" OUTPUT_NAME "${name}"
    C_VISIBILITY_PRESET hidden C_STANDARD 11 C_STANDARD_REQUIRED ON
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/plugins-out")
  if(TARGET flowscope-core)
    target_link_libraries(${name} PRIVATE flowscope-core ${P_LIBRARIES})
  else()
    target_link_libraries(${name} PRIVATE flowscope::core ${P_LIBRARIES})
  endif()
  if(P_INCLUDES)
    target_include_directories(${name} PRIVATE ${P_INCLUDES})
  endif()
  set(_vs "${CMAKE_CURRENT_BINARY_DIR}/${name}.map")
  file(WRITE "${_vs}" "{ global: fs_plugin_entry; local: *; };\n")
  target_link_options(${name} PRIVATE "-Wl,--version-script=${_vs}" "-Wl,-z,defs")
  if(COMMAND flowscope_warnings)
    flowscope_warnings(${name})
  endif()
  if(NOT P_COMPONENT)
    set(P_COMPONENT "plugin-${name}")
  endif()
  if(DEFINED FLOWSCOPE_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION "${FLOWSCOPE_PLUGIN_INSTALL_DIR}" COMPONENT ${P_COMPONENT})
  endif()
endfunction()
