# Copies the shared libraries a dynamically linked binary needs (as ldd lists them, the loader
# included) into an image root, each at its own absolute path, so that a FROM-scratch image of that
# root can start the binary. EXTRA: more glibc libraries by file name, copied from libc's directory
# (libcuda, which the NVIDIA runtime mounts in later, links libdl, libpthread and librt).
# Run as: cmake -DBINARY=file -DROOT=dir [-DEXTRA=a.so;b.so] -P collect_runtime.cmake
execute_process(COMMAND ldd "${BINARY}" OUTPUT_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "ldd ${BINARY} failed")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(libc_dir "")
foreach(line IN LISTS lines)
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
  # Each MATCHES resets CMAKE_MATCH_1, so the two forms are tried one after the other.
  set(library "")
  if(line MATCHES "=> (/[^ ]+) \\(")
    set(library "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^[ \t]*(/[^ ]+) \\(")
    set(library "${CMAKE_MATCH_1}")
  endif()
  if(library)
    file(REAL_PATH "${library}" real)
    get_filename_component(dir "${ROOT}${library}" DIRECTORY)
    file(MAKE_DIRECTORY "${dir}")
    file(COPY_FILE "${real}" "${ROOT}${library}" ONLY_IF_DIFFERENT)
    if(library MATCHES "/libc\\.so\\.6$")
      get_filename_component(libc_dir "${library}" DIRECTORY)
    endif()
  endif()
endforeach()
foreach(name IN LISTS EXTRA)
  if(NOT libc_dir)
    message(FATAL_ERROR "${BINARY} does not link libc dynamically: nothing to put ${name} beside")
  endif()
  file(REAL_PATH "${libc_dir}/${name}" real)
  file(COPY_FILE "${real}" "${ROOT}${libc_dir}/${name}" ONLY_IF_DIFFERENT)
endforeach()
