/* admin_fixture.c — see admin_fixture.h. */
#include "admin_fixture.h"

#include <string.h>

const char secret_text[] = "0123456789abcdef0123456789abcdef";

static char *fake_live_participants(gpointer user, const char *tenant, const char *consult)
{
    (void)user;
    return g_strdup_printf("[{\"id\":\"p_live\",\"role\":\"specialist\",\"name\":\"%s/%s\","
                           "\"state\":\"admitted\"}]",
                           tenant, consult);
}

static void fake_kick(gpointer user, const char *tenant, const char *consult, const char *pid)
{
    Fixture *f = user;
    (void)tenant;
    g_ptr_array_add(f->kicked, g_strdup_printf("%s/%s", consult, pid));
}

static void fake_ended(gpointer user, const char *tenant, const char *consult, const char *reason)
{
    Fixture *f = user;
    (void)tenant;
    g_ptr_array_add(f->ended, g_strdup_printf("%s:%s", consult, reason));
}

static void fake_changed(gpointer user, const CgConsultRecord *consult)
{
    Fixture *f = user;
    g_ptr_array_add(f->changed, g_strdup_printf("%s:%u", consult->id, consult->duration_min));
    g_ptr_array_add(f->caps,
                    consult->video_bitrate_set
                        ? g_strdup_printf("%s:%u", consult->id, consult->video_bitrate_kbps)
                        : g_strdup_printf("%s:default", consult->id));
}

static const CgAdminLive fake_live = {fake_live_participants, fake_kick, fake_ended, fake_changed};

static void write_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

void fixture_set_up(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = g_dir_make_tmp("cg-admin-XXXXXX", NULL);
    write_file(f->dir, "a.key", KEY_A "\n");
    write_file(f->dir, "b.key", KEY_B);
    write_file(f->dir, "s.secret", secret_text);
    g_autofree char *conf = g_strdup_printf(
        "store: { path = \"%s/consultd.db\"; };\n"
        "auth: { max_auth_failures = 3; auth_failure_window_s = 60; };\n"
        "consults: { max_participants = 4; open_before_min = 15; grace_min = 15; };\n"
        "tenants: { list = ( { id = \"a\"; name = \"A\"; api_key_file = \"%s/a.key\"; "
        "secret_file = \"%s/s.secret\"; }, { id = \"b\"; name = \"B\"; api_key_file = "
        "\"%s/b.key\"; secret_file = \"%s/s.secret\"; } ); };\n",
        f->dir, f->dir, f->dir, f->dir, f->dir);
    g_autoptr(GError) error = NULL;
    f->config = cg_config_load_string(conf, "test.conf", &error);
    g_assert_no_error(error);
    f->store = cg_store_open(f->config->store_path, &error);
    g_assert_no_error(error);
    f->tenants = cg_tenants_new(f->config, &error);
    g_assert_no_error(error);
    f->kicked = g_ptr_array_new_with_free_func(g_free);
    f->ended = g_ptr_array_new_with_free_func(g_free);
    f->changed = g_ptr_array_new_with_free_func(g_free);
    f->caps = g_ptr_array_new_with_free_func(g_free);
    f->api = cg_admin_api_new(f->config, f->store, &fake_live, f);
}

void fixture_tear_down(Fixture *f, gconstpointer data)
{
    (void)data;
    cg_admin_api_free(f->api);
    cg_tenants_free(f->tenants);
    cg_store_close(f->store);
    cg_config_free(f->config);
    g_ptr_array_unref(f->kicked);
    g_ptr_array_unref(f->ended);
    g_ptr_array_unref(f->changed);
    g_ptr_array_unref(f->caps);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->dir);
}

/* One call from @remote; returns the parsed body (caller unrefs). */
json_t *call_from(Fixture *f, const char *remote, const char *key, const char *method,
                  const char *path, const char *body, guint *status)
{
    CgHttpResponse r = {0};
    const CgTenant *tenant = key ? cg_tenants_by_api_key(f->tenants, key) : NULL;
    cg_admin_api_handle(f->api, tenant, method, path, body, body ? strlen(body) : 0, remote, NOW,
                        &r);
    *status = r.status;
    f->retry_after = r.retry_after_s;
    json_error_t jerr;
    json_t *json = json_loads(r.body, 0, &jerr);
    if (!json)
        g_error("not JSON (%s): %s", jerr.text, r.body);
    cg_http_response_clear(&r);
    return json;
}

json_t *call(Fixture *f, const char *key, const char *method, const char *path, const char *body,
             guint *status)
{
    return call_from(f, "127.0.0.1", key, method, path, body, status);
}

/* Asserts an error answer: status, code and the named field (NULL = none). */
void expect_error(Fixture *f, const char *key, const char *method, const char *path,
                  const char *body, guint status, const char *code, const char *field)
{
    guint got = 0;
    json_t *json = call(f, key, method, path, body, &got);
    json_t *error = json_object_get(json, "error");
    g_test_message("%s %s %s -> %u %s", method, path, body ? body : "", got,
                   json_string_value(json_object_get(error, "message")));
    g_assert_cmpuint(got, ==, status);
    g_assert_cmpstr(json_string_value(json_object_get(error, "code")), ==, code);
    g_assert_cmpstr(json_string_value(json_object_get(error, "field")), ==, field);
    g_assert_nonnull(json_string_value(json_object_get(error, "message")));
    json_decref(json);
}

char *iso(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

char *body_at(const char *kind, gint64 starts_at, const char *extra)
{
    g_autofree char *at = iso(starts_at);
    return g_strdup_printf("{\"kind\":\"%s\",\"specialty\":\"genetics\",\"title\":\"Board\","
                           "\"starts_at\":\"%s\",\"duration_min\":30,\"participants\":["
                           "{\"name\":\"Dr S\",\"role\":\"specialist\"},"
                           "{\"name\":\"Dr P\",\"role\":\"provider\"}]%s}",
                           kind, at, extra ? extra : "");
}

/* Creates a consult of tenant @key starting at @starts_at; returns its id. */
char *create_at(Fixture *f, const char *key, gint64 starts_at)
{
    g_autofree char *body = body_at("virtual_consult", starts_at, NULL);
    guint status = 0;
    json_t *json = call(f, key, "POST", "/api/v1/consults", body, &status);
    g_assert_cmpuint(status, ==, 201);
    char *id = g_strdup(json_string_value(json_object_get(json, "id")));
    json_decref(json);
    return id;
}

/* "/api/v1/consults/ID" + @suffix */
char *path_of(const char *id, const char *suffix)
{
    return g_strdup_printf("/api/v1/consults/%s%s", id, suffix);
}
