/* fuzz.h — the libFuzzer entry point each fuzz target defines. The same
 * target links either with libFuzzer (-DCG_FUZZ=ON, clang) or with replay.c,
 * which feeds it every committed corpus file in a normal build. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
