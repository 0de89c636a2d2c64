/* fuzz-config.c — fuzz target for config/: consultd's libconfig file.
 *
 * The input is the text of a configuration file. It is loaded and validated
 * like /etc/consultd/consultd.conf; an accepted configuration is freed. The
 * file is written by an administrator, not an attacker, but a typo must
 * still be a clear error, never a crash. */
#include "config.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    /* libconfig reads a NUL-terminated string: an embedded NUL ends it. */
    char *text = g_malloc0(size + 1);
    if (size)
        memcpy(text, data, size);
    GError *error = NULL;
    CgConfig *config = cg_config_load_string(text, "fuzz.conf", &error);
    if (config)
        cg_config_free(config);
    else if (!error || !error->message)
        abort(); /* a refusal always says why */
    g_clear_error(&error);
    g_free(text);
    return 0;
}
