# SPDX-License-Identifier: MIT
# -DFLOWSCOPE_SANITIZE=ON (or CMAKE_BUILD_TYPE=Sanitize): ASan + UBSan everywhere.
if(CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  set(FLOWSCOPE_SANITIZE ON)
endif()
if(FLOWSCOPE_SANITIZE)
  set(FLOWSCOPE_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
  add_compile_options(${FLOWSCOPE_SAN_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
