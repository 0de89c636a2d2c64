/* fuzz-admin.c — fuzz target for the admin API's request bodies and query
 * strings (admin/admin_*.c), through cg_admin_api_handle() with a real
 * SQLite store (in memory, for speed) and an authenticated tenant, as the HTTPS server calls it.
 *
 * The first input byte picks the route; the rest is the JSON body (or, for
 * the GET routes, the query string). The routes with an id in the path name a
 * consult made at start-up. Besides "no crash, no over-read, no UB, no leak"
 * it checks that every answer is JSON with a status below 500: bad input is a
 * 4xx naming the problem, never an internal error. */
#include "admin_api.h"
#include "fuzz.h"
#include "tenants.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW ((gint64)1790000000) /* 2026-09-21T14:13:20Z */
/* Calls before the store starts afresh: a growing store (a recurrence makes
 * up to 26 consults) slows every list scan; opening one costs ~20 ms. */
#define RESET_EVERY 200u

static const char seed_consult[] =
    "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\",\"title\":\"Follow-up\","
    "\"starts_at\":\"2026-09-22T14:00:00Z\",\"duration_min\":30,"
    "\"participants\":[{\"name\":\"Dr. Lee\",\"role\":\"specialist\"},"
    "{\"name\":\"Sam Doe\",\"role\":\"patient\"}]}";

static struct {
    char *dir;
    CgConfig *config;
    CgStore *store;
    CgTenants *tenants;
    CgAdminApi *api;
    char *consult_path; /* "/api/v1/consults/ID" */
    guint calls;
} g;

static void write_file(const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(g.dir, name, NULL);
    if (!g_file_set_contents(path, text, -1, NULL))
        abort();
}

static void open_store(void)
{
    g_autoptr(GError) error = NULL;
    g.store = cg_store_open(":memory:", NULL);
    if (!g.store) { /* a store that insists on a file: a fresh one each time */
        g_autofree char *db = g_build_filename(g.dir, "consultd.db", NULL);
        g_autofree char *cmd = g_strdup_printf("rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
        if (system(cmd) != 0)
            abort();
        g.store = cg_store_open(db, &error);
    }
    if (!g.store) {
        fprintf(stderr, "fuzz-admin: %s\n", error->message);
        abort();
    }
    g.api = cg_admin_api_new(g.config, g.store, NULL, NULL);
    CgHttpResponse r = {0};
    cg_admin_api_handle(g.api, cg_tenants_by_id(g.tenants, "a"), "POST", "/api/v1/consults",
                        seed_consult, strlen(seed_consult), "192.0.2.1", NOW, &r);
    json_t *json = json_loads(r.body, 0, NULL);
    const char *id = json_string_value(json_object_get(json, "id"));
    if (r.status != 201 || !id)
        abort();
    g_free(g.consult_path);
    g.consult_path = g_strconcat("/api/v1/consults/", id, NULL);
    json_decref(json);
    cg_http_response_clear(&r);
}

static void close_store(void)
{
    cg_admin_api_free(g.api);
    cg_store_close(g.store);
}

static void clean_up(void)
{
    close_store();
    cg_tenants_free(g.tenants);
    cg_config_free(g.config);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", g.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz-admin: cannot remove %s\n", g.dir);
}

static void set_up(void)
{
    g.dir = g_dir_make_tmp("cg-fuzz-admin-XXXXXX", NULL);
    if (!g.dir)
        abort();
    write_file("a.key", "tenant-a-api-key-0000000000\n");
    write_file("s.secret", "0123456789abcdef0123456789abcdef");
    g_autofree char *conf = g_strdup_printf(
        "consults: { max_participants = 4; open_before_min = 15; grace_min = 15; };\n"
        "tenants: { list = ( { id = \"a\"; name = \"A\"; api_key_file = \"%s/a.key\"; "
        "secret_file = \"%s/s.secret\"; } ); };\n",
        g.dir, g.dir);
    g_autoptr(GError) error = NULL;
    g.config = cg_config_load_string(conf, "fuzz.conf", &error);
    if (g.config)
        g.tenants = cg_tenants_new(g.config, &error);
    if (!g.tenants) {
        fprintf(stderr, "fuzz-admin: %s\n", error->message);
        abort();
    }
    open_store();
    atexit(clean_up);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    if (!g.dir)
        set_up();
    if (++g.calls % RESET_EVERY == 0) {
        close_store();
        open_store();
    }
    if (size == 0)
        return 0;
    const char *rest = (const char *)data + 1;
    gsize rest_len = size - 1;
    g_autofree char *path = NULL;
    g_autofree char *query = g_strndup(rest, rest_len); /* up to a NUL */
    const char *method = "POST", *body = rest;
    switch (data[0] % 5) {
    case 0:
        path = g_strdup("/api/v1/consults");
        break;
    case 1:
        method = "PATCH";
        path = g_strdup(g.consult_path);
        break;
    case 2:
        path = g_strconcat(g.consult_path, "/participants", NULL);
        break;
    case 3:
        method = "GET";
        path = g_strconcat("/api/v1/consults?", query, NULL);
        break;
    default:
        method = "GET";
        path = g_strconcat(g.consult_path, "/audit?", query, NULL);
        break;
    }
    if (!strcmp(method, "GET"))
        body = NULL, rest_len = 0;
    CgHttpResponse r = {0};
    cg_admin_api_handle(g.api, cg_tenants_by_id(g.tenants, "a"), method, path, body, rest_len,
                        "192.0.2.1", NOW, &r);
    json_t *json = r.body ? json_loads(r.body, 0, NULL) : NULL;
    if (r.status < 200 || r.status >= 500 || !json) {
        fprintf(stderr, "fuzz-admin: %s %s -> %u %s\n", method, path, r.status,
                r.body ? r.body : "(no body)");
        abort();
    }
    json_decref(json);
    cg_http_response_clear(&r);
    return 0;
}
