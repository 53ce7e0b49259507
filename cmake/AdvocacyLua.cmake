# Redis scripts live in .lua files and are embedded into C++ at build time.
#
#   advocacy_lua_scripts(<target> HEADER <name.h> NAMESPACE <c++ namespace> SCRIPTS a.lua ...)
#
# generates <build>/generated/<name.h> with, for each script `lua/commit_scope.lua`,
#   inline constexpr std::string_view kCommitScopeLua = R"lua(...)lua";
# and adds its directory to <target>'s include path. A line `--@include <file>.lua` in a script
# is replaced by that file from services/common/lua/ (shared preambles), so what Redis runs is
# exactly the generated text (the script's own folder is searched before services/common/lua,
# so a service may keep a preamble of its own beside its scripts; list only the scripts, not
# the preambles, in SCRIPTS); the expanded scripts are also written next to the header
# (<build>/generated/lua/) for the Lua linter (deploy/local/check_lua.sh).
set(ADVOCACY_LUA_INCLUDE_DIR ${PROJECT_SOURCE_DIR}/services/common/lua)
set(ADVOCACY_LUA_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/AdvocacyLuaEmbed.cmake)

function(advocacy_lua_scripts target)
  cmake_parse_arguments(ARG "" "HEADER;NAMESPACE" "SCRIPTS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated)
  set(header ${out_dir}/${ARG_HEADER})
  set(sources)
  foreach(script IN LISTS ARG_SCRIPTS)
    list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${script})
  endforeach()
  file(GLOB shared ${ADVOCACY_LUA_INCLUDE_DIR}/*.lua ${CMAKE_CURRENT_SOURCE_DIR}/lua/*.lua)
  string(REPLACE ";" "|" joined "${sources}")
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -DOUT=${header} -DNAMESPACE=${ARG_NAMESPACE}
            "-DSCRIPTS=${joined}" -DINCLUDE_DIR=${ADVOCACY_LUA_INCLUDE_DIR}
            -P ${ADVOCACY_LUA_EMBED_SCRIPT}
    DEPENDS ${sources} ${shared} ${ADVOCACY_LUA_EMBED_SCRIPT}
    COMMENT "Embedding Redis scripts into ${ARG_HEADER}"
    VERBATIM)
  string(MAKE_C_IDENTIFIER ${ARG_HEADER} header_id)
  add_custom_target(${target}_lua_${header_id} DEPENDS ${header})
  add_dependencies(${target} ${target}_lua_${header_id})
  target_sources(${target} PRIVATE ${header})
  target_include_directories(${target} PRIVATE ${out_dir})
endfunction()
