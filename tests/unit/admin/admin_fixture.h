/* admin_fixture.h — what the admin API unit tests share: a real SQLite store
 * and two tenants (a, b) in a temporary directory, a fake live side that
 * records what it is told, and calls through cg_admin_api_handle (no
 * sockets) at the fixed time NOW. */
#pragma once

#include <jansson.h>

#include "admin_api.h"
#include "store.h"
#include "tenants.h"

#define NOW ((gint64)1790000000) /* 2026-09-21T14:13:20Z */
#define KEY_A "tenant-a-api-key-0000000000"
#define KEY_B "tenant-b-api-key-1111111111"

extern const char secret_text[]; /* both tenants' token secret */

typedef struct {
    char *dir;
    CgConfig *config;
    CgStore *store;
    CgTenants *tenants;
    CgAdminApi *api;
    /* what the fake live side saw */
    GPtrArray *kicked;  /* "consult/participant" */
    GPtrArray *ended;   /* "consult:reason" */
    GPtrArray *changed; /* "consult:duration_min" */
    GPtrArray *caps;    /* "consult:video_bitrate_kbps" ("default" when unset), per change */
    gint64 retry_after; /* of the last response */
} Fixture;

void fixture_set_up(Fixture *f, gconstpointer data);
void fixture_tear_down(Fixture *f, gconstpointer data);
/* One call from @remote; returns the parsed body (caller unrefs). */
json_t *call_from(Fixture *f, const char *remote, const char *key, const char *method,
                  const char *path, const char *body, guint *status);
json_t *call(Fixture *f, const char *key, const char *method, const char *path, const char *body,
             guint *status);
/* Asserts an error answer: status, code and the named field (NULL = none). */
void expect_error(Fixture *f, const char *key, const char *method, const char *path,
                  const char *body, guint status, const char *code, const char *field);
/* (transfer full) @t as RFC 3339 UTC. */
char *iso(gint64 t);
/* (transfer full) a create body: a specialist and a provider, 30 min at
 * @starts_at; @extra (nullable) is appended inside the object. */
char *body_at(const char *kind, gint64 starts_at, const char *extra);
/* Creates a consult of tenant @key starting at @starts_at; returns its id. */
char *create_at(Fixture *f, const char *key, gint64 starts_at);
/* "/api/v1/consults/ID" + @suffix */
char *path_of(const char *id, const char *suffix);
