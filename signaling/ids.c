#include "ids.h"

#include <openssl/rand.h>
#include <string.h>

#define ID_BODY_LEN 12
static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

char *cg_id_new(const char *prefix)
{
    guint8 random[ID_BODY_LEN];
    if (RAND_bytes(random, sizeof random) != 1)
        g_error("OpenSSL RAND_bytes failed: no randomness for ids"); /* cannot continue safely */
    GString *id = g_string_new(prefix);
    g_string_append_c(id, '-');
    for (guint i = 0; i < ID_BODY_LEN; i++)
        g_string_append_c(id, base32_alphabet[random[i] & 31]);
    return g_string_free(id, FALSE);
}

gboolean cg_id_is_valid(const char *id, const char *prefix)
{
    gsize plen = strlen(prefix);
    if (!id || strncmp(id, prefix, plen) != 0 || id[plen] != '-')
        return FALSE;
    const char *body = id + plen + 1;
    if (strlen(body) != ID_BODY_LEN)
        return FALSE;
    for (const char *c = body; *c; c++)
        if (!strchr(base32_alphabet, *c))
            return FALSE;
    return TRUE;
}
