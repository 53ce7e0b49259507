# Warnings are errors on project code only; generated protobuf code gets none of these flags.
# -Wnull-dereference is left out: at -O2 it fires inside inlined libstdc++ and gRPC headers.
function(advocacy_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough -Wformat=2
    # C++20 designated initializers that leave fields at their defaults are intended.
    -Wno-missing-field-initializers)
endfunction()
