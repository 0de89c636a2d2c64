/* fuzz.h — the libFuzzer entry point each fuzz target defines. The same
 * target links either with libFuzzer (-DCG_FUZZ=ON, clang) or with replay.c,
 * which feeds it every committed corpus file in a normal build. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline GLogWriterOutput cg_fuzz_log_writer(GLogLevelFlags level, const GLogField *fields,
                                                  gsize n_fields, gpointer user)
{
    GLogWriterOutput out = g_log_writer_default(level, fields, n_fields, user);
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        abort(); /* SIGABRT, so libFuzzer saves the input (a breakpoint would not) */
    return out;
}

/* A g_critical (a failed g_return_if_fail, ours or a library's) is a bug:
 * nothing from the network may reach one. Call at the top of each input. */
static inline void cg_fuzz_abort_on_critical(void)
{
    static gboolean set;
    if (!set)
        g_log_set_writer_func(cg_fuzz_log_writer, NULL, NULL);
    set = TRUE;
}
