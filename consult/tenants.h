/* tenants.h — the partner hospitals: API keys and token-signing secrets.
 *
 * Built from the configured tenant list; key and secret files are read once at
 * start. Lookups by API key compare SHA-256 digests in constant time and touch
 * every tenant, so timing says nothing about which key was close.
 * Main thread only.
 */
#pragma once

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

typedef struct _CgTenants CgTenants;
typedef struct _CgTenant CgTenant;

/* Reads every tenant's api key and secret file. (transfer full) or NULL. */
CgTenants *cg_tenants_new(const CgConfig *config, GError **error);
void cg_tenants_free(CgTenants *tenants);

/* (transfer none) the tenant whose key is @api_key, or NULL. */
const CgTenant *cg_tenants_by_api_key(const CgTenants *tenants, const char *api_key);
/* (transfer none) the tenant with id @id, or NULL. */
const CgTenant *cg_tenants_by_id(const CgTenants *tenants, const char *id);

const char *cg_tenant_id(const CgTenant *tenant);

/* Reads a key or secret file (@what names it in errors): trailing whitespace
 * stripped, 16 to 4096 bytes. (transfer full) or NULL + @error. */
GBytes *cg_secret_file_read(const char *path, const char *what, GError **error);
/* (transfer none) the signing secret */
const guint8 *cg_tenant_secret(const CgTenant *tenant, gsize *len);

G_END_DECLS
