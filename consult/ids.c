#include "ids.h"

#include <openssl/rand.h>
#include <string.h>

#define ID_BODY_LEN 12
static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

#define SECRET_BODY_LEN 26

static char *random_id(const char *prefix, guint body_len)
{
    guint8 random[SECRET_BODY_LEN];
    g_assert(body_len <= sizeof random);
    if (RAND_bytes(random, (int)body_len) != 1)
        g_error("OpenSSL RAND_bytes failed: no randomness for ids"); /* cannot continue safely */
    GString *id = g_string_new(prefix);
    g_string_append_c(id, '-');
    for (guint i = 0; i < body_len; i++)
        g_string_append_c(id, base32_alphabet[random[i] & 31]);
    return g_string_free(id, FALSE);
}

char *cg_id_new(const char *prefix)
{
    return random_id(prefix, ID_BODY_LEN);
}

char *cg_secret_id_new(const char *prefix)
{
    return random_id(prefix, SECRET_BODY_LEN);
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
