# SPDX-License-Identifier: MIT
# CPack: one Debian package per install component, so a distribution can
# ship the core, the library, the development files, the plugin SDK, the
# command and every plugin separately:
#   core       -> libflowscope-core1      libflowscope-core.so.1 (the plugin ABI)
#   library    -> libflowscope0           libflowscope.so.0
#   dev        -> libflowscope-dev        headers, .so links, pkg-config, CMake package
#   sdk        -> flowscope-plugin-sdk    template, authoring guide, flowscope-plugin-check
#   cli        -> flowscope               the flowscope command
#   plugin-X   -> flowscope-plugin-X      <libdir>/flowscope/1/plugins/X.so
# `cpack -G DEB` in the build directory writes them all (tests/packaging checks it).
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "flowscope")
set(CPACK_PACKAGE_VENDOR "flowscope developers")
set(CPACK_PACKAGE_CONTACT "flowscope developers <flowscope@localhost>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Passive flow and session tracking over packet captures")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Dependencies are spelled out below: dpkg-shlibdeps cannot resolve our own libraries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/flowscope/flowscope")
# Packages land where the binaries look for them (the compiled-in plugin
# directory is under CMAKE_INSTALL_PREFIX): configure with
# -DCMAKE_INSTALL_PREFIX=/usr for distribution packages.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
# CPACK_COMPONENTS_ALL is left to CPack: exactly the components that have
# install rules, so a component with nothing built yields no empty package.

set(CPACK_DEBIAN_CORE_PACKAGE_NAME "libflowscope-core1")
set(CPACK_DEBIAN_CORE_PACKAGE_SECTION "libs")
set(CPACK_DEBIAN_CORE_PACKAGE_DEPENDS "libc6")
set(CPACK_COMPONENT_CORE_DESCRIPTION
  "flowscope core: types, vtables, events and the plugin descriptor (plugin ABI 1)")

set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME "libflowscope0")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION "libs")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_DEPENDS
  "libflowscope-core1 (= ${PROJECT_VERSION}), libpcap0.8, libxxhash0, libc6")
set(CPACK_COMPONENT_LIBRARY_DESCRIPTION
  "flowscope library: capture sources, flow tracking, TCP reassembly, drivers, plugin registry")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME "libflowscope-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libflowscope0 (= ${PROJECT_VERSION}), libflowscope-core1 (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "flowscope development files: headers, pkg-config files, CMake package with flowscope_add_plugin()")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME "flowscope-plugin-sdk")
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "libflowscope-dev (= ${PROJECT_VERSION}), cmake, pkg-config")
set(CPACK_COMPONENT_SDK_DESCRIPTION
  "flowscope plugin SDK: template plugin, authoring guide, flowscope-plugin-check conformance checker")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME "flowscope")
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "libflowscope0 (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_CLI_DESCRIPTION "flowscope command: flows, sessions and plugins from captures")

# One package per plugin folder (component plugin-NAME from flowscope_add_plugin).
# Extra run-time dependencies of a plugin: FLOWSCOPE_PLUGIN_DEB_DEPENDS_<name>.
set(FLOWSCOPE_PLUGIN_DEB_DEPENDS_tls "libmd0")
if(FLOWSCOPE_BUILD_PLUGINS)
  file(GLOB _plugin_dirs LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/plugins/*")
  foreach(d ${_plugin_dirs})
    if(IS_DIRECTORY "${d}" AND EXISTS "${d}/CMakeLists.txt")
      get_filename_component(p "${d}" NAME)
      string(TOUPPER "PLUGIN-${p}" _c)
      set(CPACK_DEBIAN_${_c}_PACKAGE_NAME "flowscope-plugin-${p}")
      set(CPACK_DEBIAN_${_c}_PACKAGE_SECTION "net")
      set(_deps "libflowscope-core1 (>= ${PROJECT_VERSION}), libc6")
      if(FLOWSCOPE_PLUGIN_DEB_DEPENDS_${p})
        string(APPEND _deps ", ${FLOWSCOPE_PLUGIN_DEB_DEPENDS_${p}}")
      endif()
      set(CPACK_DEBIAN_${_c}_PACKAGE_DEPENDS "${_deps}")
      set(CPACK_COMPONENT_${_c}_DESCRIPTION "flowscope protocol plugin: ${p}")
    endif()
  endforeach()
endif()
include(CPack)
