#include "turn_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

char *cg_turn_password(const guint8 *secret, gsize secret_len, const char *username)
{
    guint8 mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), secret, (int)secret_len, (const guint8 *)username, strlen(username), mac,
              &mac_len))
        return NULL;
    return g_base64_encode(mac, mac_len);
}

static json_t *url_array(const char *const *urls)
{
    json_t *array = json_array();
    for (guint i = 0; urls && urls[i]; i++)
        json_array_append_new(array, json_string(urls[i]));
    return array;
}

json_t *cg_ice_servers_json(const char *const *stun_urls, const char *const *turn_urls,
                            GBytes *turn_secret, gint64 expiry, const char *opaque)
{
    json_t *servers = json_array();
    if (stun_urls && stun_urls[0])
        json_array_append_new(servers, json_pack("{s:o}", "urls", url_array(stun_urls)));
    if (turn_urls && turn_urls[0] && turn_secret) {
        g_autofree char *username = g_strdup_printf("%" G_GINT64_FORMAT ":%s", expiry, opaque);
        gsize len = 0;
        const guint8 *secret = g_bytes_get_data(turn_secret, &len);
        g_autofree char *password = cg_turn_password(secret, len, username);
        if (password)
            json_array_append_new(servers,
                                  json_pack("{s:o, s:s, s:s}", "urls", url_array(turn_urls),
                                            "username", username, "credential", password));
    }
    return servers;
}
