/* admin_api.h — the admin API under /api/v1/, independent of the HTTP server.
 *
 * The server hands over an authenticated tenant (or NULL), the method, path and
 * body; this module validates, touches the store, and returns a status and a
 * JSON body. Errors follow docs/api.md: {"error": {code, field, message}} with
 * the offending field named. Main thread only; time is passed in.
 */
#pragma once

#include <glib.h>

#include "config.h"
#include "store.h"
#include "tenants.h"

G_BEGIN_DECLS

#define CG_ADMIN_MAX_BODY_BYTES 65536

typedef struct _CgAdminApi CgAdminApi;

typedef struct {
    guint status;
    char *body; /* (transfer full) JSON text */
} CgHttpResponse;

void cg_http_response_clear(CgHttpResponse *response);
/* Fills @out with the error shape of docs/api.md. */
void cg_http_response_error(CgHttpResponse *out, guint status, const char *code,
                            const char *field, const char *message);

/* @config and @store are borrowed and must outlive the API. */
CgAdminApi *cg_admin_api_new(const CgConfig *config, CgStore *store);
void cg_admin_api_free(CgAdminApi *api);

/* @tenant is NULL when the request carried no valid API key. @now in seconds. */
void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len, gint64 now,
                         CgHttpResponse *out);

G_END_DECLS
