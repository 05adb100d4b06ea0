# cmake -DSPV=in.spv -DOUT=out.cpp -DNAME=name -P embed_spirv.cmake
# Writes gpuos::shaders::NAME as a std::span<const uint32_t> over the words.
file(READ ${SPV} hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nwords "${nhex} / 8")
# One regex pass (linear time): SPIR-V words are little-endian, so each group
# of 4 bytes is byte-swapped into a 0x........u literal.
set(h "[0-9a-f][0-9a-f]")
string(REGEX REPLACE "(${h})(${h})(${h})(${h})" "0x\\4\\3\\2\\1u,\n" body "${hex}")
file(WRITE ${OUT} "// Generated from ${NAME}.comp by shaders/embed_spirv.cmake. Do not edit.\n#include \"shaders/embedded.h\"\nnamespace gpuos::shaders {\nstatic const uint32_t ${NAME}_words[${nwords}] = {\n${body}};\nconst std::span<const uint32_t> ${NAME}{${NAME}_words, ${nwords}};\n}  // namespace gpuos::shaders\n")
