#include "tenants.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#define SECRET_FILE_MAX_BYTES 4096
#define SECRET_MIN_BYTES 16

struct _CgTenant {
    char *id;
    guint8 api_key_digest[SHA256_DIGEST_LENGTH];
    GBytes *secret;
};

struct _CgTenants {
    CgTenant *items;
    guint n;
};

GBytes *cg_secret_file_read(const char *path, const char *what, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, error)) {
        g_prefix_error(error, "%s file: ", what);
        return NULL;
    }
    while (len > 0 && g_ascii_isspace(text[len - 1]))
        len--;
    if (len > SECRET_FILE_MAX_BYTES || len < SECRET_MIN_BYTES) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s file %s must hold %d to %d bytes",
                    what, path, SECRET_MIN_BYTES, SECRET_FILE_MAX_BYTES);
        return NULL;
    }
    return g_bytes_new(text, len);
}

CgTenants *cg_tenants_new(const CgConfig *config, GError **error)
{
    CgTenants *tenants = g_new0(CgTenants, 1);
    tenants->items = g_new0(CgTenant, config->n_tenants);
    for (guint i = 0; i < config->n_tenants; i++) {
        const CgTenantConfig *tc = &config->tenants[i];
        CgTenant *t = &tenants->items[i];
        tenants->n++;
        t->id = g_strdup(tc->id);
        g_autoptr(GBytes) key = cg_secret_file_read(tc->api_key_file, "api key", error);
        if (!key) {
            cg_tenants_free(tenants);
            return NULL;
        }
        gsize key_len = 0;
        const guint8 *key_data = g_bytes_get_data(key, &key_len);
        SHA256(key_data, key_len, t->api_key_digest);
        t->secret = cg_secret_file_read(tc->secret_file, "secret", error);
        if (!t->secret) {
            cg_tenants_free(tenants);
            return NULL;
        }
    }
    return tenants;
}

void cg_tenants_free(CgTenants *tenants)
{
    if (!tenants)
        return;
    for (guint i = 0; i < tenants->n; i++) {
        g_free(tenants->items[i].id);
        g_clear_pointer(&tenants->items[i].secret, g_bytes_unref);
    }
    g_free(tenants->items);
    g_free(tenants);
}

const CgTenant *cg_tenants_by_api_key(const CgTenants *tenants, const char *api_key)
{
    if (!api_key || !*api_key)
        return NULL;
    guint8 digest[SHA256_DIGEST_LENGTH];
    SHA256((const guint8 *)api_key, strlen(api_key), digest);
    const CgTenant *found = NULL;
    for (guint i = 0; i < tenants->n; i++)
        if (CRYPTO_memcmp(digest, tenants->items[i].api_key_digest, sizeof digest) == 0)
            found = &tenants->items[i];
    return found;
}

const CgTenant *cg_tenants_by_id(const CgTenants *tenants, const char *id)
{
    for (guint i = 0; id && i < tenants->n; i++)
        if (g_str_equal(tenants->items[i].id, id))
            return &tenants->items[i];
    return NULL;
}

const char *cg_tenant_id(const CgTenant *tenant)
{
    return tenant->id;
}

const guint8 *cg_tenant_secret(const CgTenant *tenant, gsize *len)
{
    return g_bytes_get_data(tenant->secret, len);
}
