# Warnings, build types and the sanitizer configuration shared by every target.

add_library(fulcrum_build_flags INTERFACE)
target_compile_options(fulcrum_build_flags INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  # DPDK's inline headers trip these under C++; they are not ours to fix.
  $<$<COMPILE_LANGUAGE:CXX>:-Wno-old-style-cast -Wno-cast-align>
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++ for `"text" + std::string` (GCC bug 105329): noise.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  -march=native)

# "Asan" is a build type: Debug plus AddressSanitizer and UndefinedBehaviorSanitizer.
set(CMAKE_CXX_FLAGS_ASAN "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
    CACHE STRING "" FORCE)
set(CMAKE_C_FLAGS_ASAN "${CMAKE_CXX_FLAGS_ASAN}" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_ASAN "-fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_ASAN "-fsanitize=address,undefined" CACHE STRING "" FORCE)

set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG" CACHE STRING "" FORCE)
set(CMAKE_CXX_FLAGS_DEBUG "-O0 -g" CACHE STRING "" FORCE)
