# SPDX-License-Identifier: MIT
# Warnings as errors for flowscope's own code (third-party sources opt out).
set(FLOWSCOPE_WARNINGS
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef -Wvla
  -Wimplicit-fallthrough -Wno-unused-parameter)
function(flowscope_warnings target)
  target_compile_options(${target} PRIVATE ${FLOWSCOPE_WARNINGS})
endfunction()
