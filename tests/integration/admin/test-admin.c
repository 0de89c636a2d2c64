/* integration-admin-*: the admin API of the real consultd with two tenants,
 * over HTTPS: tenant isolation, the full create/list/get/patch/participants/
 * token/kick/cancel/audit flow, the failed-authentication limit, and the
 * consultctl binary against the daemon (including `audit verify` catching a
 * record edited in the database file). */
#include <sqlite3.h>
#include <string.h>

#include "consult_fixture.h"
#include "daemon_harness.h"

typedef struct {
    CgTestDaemon *daemon;
    char *dir; /* the daemon's directory: cert.pem, consultd.db */
} Fixture;

static void start(Fixture *f, const char *auth_extra)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {.n_tenants = 2, .max_participants = 4, .auth_extra = auth_extra};
    f->daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    g_autofree char *cwd = g_strdup_printf("/proc/%d/cwd", (int)cg_test_daemon_pid(f->daemon));
    f->dir = g_file_read_link(cwd, &error);
    g_assert_no_error(error);
}

static void setup(Fixture *f, gconstpointer data)
{
    start(f, data);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    g_clear_pointer(&f->daemon, cg_test_daemon_free);
    g_free(f->dir);
}

/* One request as tenant @tenant (0 = A, 1 = B, -1 = no key); asserts @want. */
static json_t *req(Fixture *f, int tenant, const char *method, const char *path, const char *body,
                   guint want)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    const char *key = tenant < 0 ? NULL : cg_test_daemon_api_key(f->daemon, (guint)tenant);
    g_assert_true(
        cg_test_admin_request(f->daemon, method, path, key, body, &status, &resp, &error));
    g_assert_no_error(error);
    if (status != want) {
        g_autofree char *text = resp ? json_dumps(resp, JSON_COMPACT) : g_strdup("(no JSON)");
        g_error("%s %s: want %u, got %u %s", method, path, want, status, text);
    }
    return resp;
}

static void req_error(Fixture *f, int tenant, const char *method, const char *path,
                      const char *body, guint want, const char *code)
{
    json_t *resp = req(f, tenant, method, path, body, want);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(resp, "error"), "code")), ==,
                    code);
    json_decref(resp);
}

static char *iso_in(gint64 seconds)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) t = g_date_time_add_seconds(now, (gdouble)seconds);
    return g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

/* Creates a consult (starting in an hour) for @tenant; (transfer full) response. */
static json_t *create(Fixture *f, int tenant)
{
    g_autofree char *at = iso_in(3600);
    g_autofree char *body = g_strdup_printf(
        "{\"kind\":\"virtual_consult\",\"specialty\":\"rheumatology\",\"title\":\"Review\","
        "\"starts_at\":\"%s\",\"duration_min\":30,\"participants\":["
        "{\"name\":\"Dr Spec\",\"role\":\"specialist\"},{\"name\":\"Pat\",\"role\":\"patient\"}]}",
        at);
    return req(f, tenant, "POST", "/api/v1/consults", body, 201);
}

static const char *sget(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const char *pid_of(json_t *consult, gsize index)
{
    return sget(json_array_get(json_object_get(consult, "participants"), index), "id");
}

static gboolean list_has(json_t *resp, const char *id)
{
    json_t *c;
    gsize i;
    json_array_foreach(json_object_get(resp, "consults"), i,
                       c) if (g_strcmp0(sget(c, "id"), id) == 0) return TRUE;
    return FALSE;
}

static void test_tenant_isolation(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *a = create(f, 0);
    json_t *b = create(f, 1);
    const char *id = sget(a, "id");
    const char *pid = pid_of(a, 1);
    g_autofree char *one = g_strdup_printf("/api/v1/consults/%s", id);
    g_autofree char *cancel = g_strdup_printf("%s/cancel", one);
    g_autofree char *parts = g_strdup_printf("%s/participants", one);
    g_autofree char *part = g_strdup_printf("%s/participants/%s", one, pid);
    g_autofree char *mint = g_strdup_printf("%s/participants/%s/token", one, pid);
    g_autofree char *audit = g_strdup_printf("%s/audit", one);

    json_t *list = req(f, 1, "GET", "/api/v1/consults", NULL, 200);
    g_assert_false(list_has(list, id));
    g_assert_true(list_has(list, sget(b, "id")));
    json_decref(list);
    req_error(f, 1, "GET", one, NULL, 404, "not_found");
    req_error(f, 1, "PATCH", one, "{\"title\":\"Mine now\"}", 404, "not_found");
    req_error(f, 1, "POST", cancel, NULL, 404, "not_found");
    req_error(f, 1, "POST", parts, "{\"name\":\"Spy\",\"role\":\"observer\"}", 404, "not_found");
    req_error(f, 1, "POST", mint, NULL, 404, "not_found");
    req_error(f, 1, "DELETE", part, NULL, 404, "not_found");
    req_error(f, 1, "GET", audit, NULL, 404, "not_found");

    /* Nothing B tried touched A's consult. */
    json_t *got = req(f, 0, "GET", one, NULL, 200);
    g_assert_cmpstr(sget(got, "title"), ==, "Review");
    g_assert_cmpstr(sget(got, "state"), ==, "scheduled");
    g_assert_cmpuint(json_array_size(json_object_get(got, "participants")), ==, 2);
    g_assert_false(json_is_true(
        json_object_get(json_array_get(json_object_get(got, "participants"), 1), "removed")));
    json_decref(got);
    list = req(f, 0, "GET", "/api/v1/consults", NULL, 200);
    g_assert_true(list_has(list, id));
    g_assert_false(list_has(list, sget(b, "id")));
    json_decref(list);
    json_decref(a);
    json_decref(b);
}

static void test_crud_flow(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *c = create(f, 0);
    const char *id = sget(c, "id");
    g_autofree char *one = g_strdup_printf("/api/v1/consults/%s", id);
    json_t *list = req(f, 0, "GET", "/api/v1/consults?state=scheduled", NULL, 200);
    g_assert_true(list_has(list, id));
    json_decref(list);
    list = req(f, 0, "GET", "/api/v1/consults?state=open", NULL, 200);
    g_assert_false(list_has(list, id));
    json_decref(list);

    json_t *r = req(f, 0, "PATCH", one, "{\"title\":\"Moved\",\"duration_min\":45}", 200);
    g_assert_cmpstr(sget(r, "title"), ==, "Moved");
    json_decref(r);
    g_autofree char *parts = g_strdup_printf("%s/participants", one);
    r = req(f, 0, "POST", parts, "{\"name\":\"Obs\",\"role\":\"observer\"}", 201);
    g_autofree char *added = g_strdup(sget(r, "id"));
    g_assert_nonnull(sget(r, "token"));
    g_assert_true(g_str_has_prefix(sget(r, "join_url"), "https://"));
    json_decref(r);
    g_autofree char *mint = g_strdup_printf("%s/participants/%s/token", one, added);
    r = req(f, 0, "POST", mint, NULL, 200);
    g_assert_cmpstr(sget(r, "role"), ==, "observer");
    json_decref(r);
    g_autofree char *kick = g_strdup_printf("%s/participants/%s", one, pid_of(c, 1));
    json_decref(req(f, 0, "DELETE", kick, NULL, 200));

    r = req(f, 0, "GET", one, NULL, 200);
    g_assert_cmpstr(sget(r, "title"), ==, "Moved");
    g_assert_cmpint(json_integer_value(json_object_get(r, "duration_min")), ==, 45);
    json_t *people = json_object_get(r, "participants");
    g_assert_cmpuint(json_array_size(people), ==, 3);
    g_assert_true(json_is_true(json_object_get(json_array_get(people, 1), "removed")));
    g_assert_true(json_is_array(json_object_get(r, "live")));
    json_decref(r);

    g_autofree char *cancel = g_strdup_printf("%s/cancel", one);
    r = req(f, 0, "POST", cancel, NULL, 200);
    g_assert_cmpstr(sget(r, "state"), ==, "cancelled");
    json_decref(r);
    req_error(f, 0, "POST", mint, NULL, 409, "consult_ended");
    req_error(f, 0, "POST", cancel, NULL, 409, "consult_ended");
    list = req(f, 0, "GET", "/api/v1/consults?state=cancelled", NULL, 200);
    g_assert_true(list_has(list, id));
    json_decref(list);

    g_autofree char *audit = g_strdup_printf("%s/audit", one);
    r = req(f, 0, "GET", audit, NULL, 200);
    static const char *const want[][2] = {
        {"consult.create", "ok"},
        {"consult.update", "ok"},
        {"participant.add", "ok"},
        {"token.mint", "ok"},
        {"participant.kick", "ok"},
        {"consult.get", "ok"},
        {"consult.cancel", "ok"},
        {"token.mint", "consult_ended"},
        {"consult.cancel", "consult_ended"},
    };
    json_t *records = json_object_get(r, "records");
    g_assert_cmpuint(json_array_size(records), ==, G_N_ELEMENTS(want));
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        json_t *rec = json_array_get(records, i);
        g_assert_cmpstr(sget(rec, "action"), ==, want[i][0]);
        g_assert_cmpstr(sget(rec, "outcome"), ==, want[i][1]);
        g_assert_cmpstr(sget(rec, "remote"), ==, "127.0.0.1");
    }
    g_assert_cmpstr(sget(json_array_get(records, 2), "participant"), ==, added);
    json_decref(r);
    json_decref(c);
}

/* The consult's video_bitrate_kbps over HTTPS: set on create, refused when
 * out of range (the field named), changed, reset to null, read back. */
static void test_video_bitrate(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *at = iso_in(3600);
    g_autofree char *body = g_strdup_printf(
        "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\",\"title\":\"Poor link\","
        "\"starts_at\":\"%s\",\"duration_min\":30,\"video_bitrate_kbps\":150,\"participants\":["
        "{\"name\":\"Dr Spec\",\"role\":\"specialist\"}]}",
        at);
    json_t *c = req(f, 0, "POST", "/api/v1/consults", body, 201);
    g_assert_cmpint(json_integer_value(json_object_get(c, "video_bitrate_kbps")), ==, 150);
    g_autofree char *one = g_strdup_printf("/api/v1/consults/%s", sget(c, "id"));
    json_decref(c);

    static const char *const bad[] = {"{\"video_bitrate_kbps\":32}",
                                      "{\"video_bitrate_kbps\":20000}",
                                      "{\"video_bitrate_kbps\":\"150kbps\"}"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        json_t *r = req(f, 0, "PATCH", one, bad[i], 400);
        json_t *e = json_object_get(r, "error");
        g_assert_cmpstr(sget(e, "code"), ==, "invalid_field");
        g_assert_cmpstr(sget(e, "field"), ==, "video_bitrate_kbps");
        g_assert_nonnull(strstr(sget(e, "message"), "64 to 10000"));
        json_decref(r);
    }
    g_autofree char *bad_create = g_strdup_printf(
        "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\",\"title\":\"T\","
        "\"starts_at\":\"%s\",\"duration_min\":30,\"video_bitrate_kbps\":-5,\"participants\":["
        "{\"name\":\"Dr Spec\",\"role\":\"specialist\"}]}",
        at);
    json_t *r = req(f, 0, "POST", "/api/v1/consults", bad_create, 400);
    g_assert_cmpstr(sget(json_object_get(r, "error"), "field"), ==, "video_bitrate_kbps");
    json_decref(r);
    req_error(f, 1, "PATCH", one, "{\"video_bitrate_kbps\":300}", 404, "not_found");

    r = req(f, 0, "GET", one, NULL, 200);
    g_assert_cmpint(json_integer_value(json_object_get(r, "video_bitrate_kbps")), ==, 150);
    json_decref(r);
    r = req(f, 0, "PATCH", one, "{\"video_bitrate_kbps\":2500}", 200);
    g_assert_cmpint(json_integer_value(json_object_get(r, "video_bitrate_kbps")), ==, 2500);
    json_decref(r);
    r = req(f, 0, "GET", one, NULL, 200);
    g_assert_cmpint(json_integer_value(json_object_get(r, "video_bitrate_kbps")), ==, 2500);
    json_decref(r);
    r = req(f, 0, "PATCH", one, "{\"video_bitrate_kbps\":null}", 200);
    g_assert_true(json_is_null(json_object_get(r, "video_bitrate_kbps")));
    json_decref(r);
    r = req(f, 0, "GET", "/api/v1/consults", NULL, 200);
    json_t *listed;
    gsize i;
    gboolean seen = FALSE;
    json_array_foreach(json_object_get(r, "consults"), i, listed)
    {
        if (g_str_has_suffix(one, sget(listed, "id"))) {
            seen = TRUE;
            g_assert_true(json_is_null(json_object_get(listed, "video_bitrate_kbps")));
        }
    }
    g_assert_true(seen);
    json_decref(r);
}

/* Interpretation over HTTPS (issue 11): create with interpreters, GET, the
 * tokens' language claims, refusals naming the field, PATCH. */
static void req_field(Fixture *f, const char *method, const char *path, const char *body,
                      const char *field)
{
    json_t *r = req(f, 0, method, path, body, 400);
    json_t *e = json_object_get(r, "error");
    g_assert_cmpstr(sget(e, "code"), ==, "invalid_field");
    g_assert_cmpstr(sget(e, "field"), ==, field);
    json_decref(r);
}

static void test_interpretation(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *at = iso_in(3600);
    g_autofree char *body = g_strdup_printf(
        "{\"kind\":\"case_conference\",\"specialty\":\"oncology\",\"title\":\"Board\","
        "\"starts_at\":\"%s\",\"duration_min\":60,"
        "\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"AR\"]},"
        "\"floor_language\":\"en\",\"floor_level_db\":-18,\"participants\":["
        "{\"name\":\"Dr Spec\",\"role\":\"specialist\"},"
        "{\"name\":\"Ana\",\"role\":\"interpreter\",\"language\":\"es\"},"
        "{\"name\":\"Omar\",\"role\":\"interpreter\",\"language\":\"ar\",\"relay_from\":\"es\"},"
        "{\"name\":\"Obs\",\"role\":\"observer\",\"language\":\"ar\"}]}",
        at);
    json_t *c = req(f, 0, "POST", "/api/v1/consults", body, 201);
    g_autofree char *one = g_strdup_printf("/api/v1/consults/%s", sget(c, "id"));
    json_t *people = json_object_get(c, "participants");
    static const char *const want[][2] = {{NULL, NULL}, {"es", NULL}, {"ar", "es"}, {"ar", NULL}};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        json_t *p = json_array_get(people, i);
        g_assert_cmpstr(sget(p, "language"), ==, want[i][0]);
        g_assert_cmpstr(sget(p, "relay_from"), ==, want[i][1]);
        json_t *claims = cg_fx_token_claims(sget(p, "token"));
        g_assert_cmpstr(sget(claims, "language"), ==, want[i][0]);
        g_assert_cmpstr(sget(claims, "relay_from"), ==, want[i][1]);
        g_assert_true(want[i][0] || !json_object_get(claims, "language"));
        json_decref(claims);
    }
    json_t *got = req(f, 0, "GET", one, NULL, 200);
    json_t *interp = json_object_get(got, "interpretation");
    g_assert_cmpstr(sget(interp, "mode"), ==, "simultaneous");
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(interp, "languages"), 1)), ==,
                    "ar");
    g_assert_cmpstr(sget(got, "floor_language"), ==, "en");
    g_assert_cmpint(json_integer_value(json_object_get(got, "floor_level_db")), ==, -18);
    g_assert_cmpstr(sget(json_array_get(json_object_get(got, "participants"), 2), "relay_from"), ==,
                    "es");
    json_decref(got);

    g_autofree char *parts = g_strdup_printf("%s/participants", one);
    req_field(f, "POST", parts, "{\"name\":\"X\",\"role\":\"interpreter\",\"language\":\"fr\"}",
              "language");
    req_field(f, "POST", parts, "{\"name\":\"X\",\"role\":\"provider\",\"relay_from\":\"es\"}",
              "relay_from");
    req_field(f, "PATCH", one,
              "{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"ar\"]}}",
              "interpretation.languages");
    req_field(f, "PATCH", one, "{\"interpretation\":null}", "interpretation");
    req_field(f, "PATCH", one, "{\"floor_level_db\":-60}", "floor_level_db");
    json_t *r = req(f, 0, "PATCH", one, "{\"floor_level_db\":-24}", 200);
    g_assert_cmpint(json_integer_value(json_object_get(r, "floor_level_db")), ==, -24);
    json_decref(r);

    /* A minted token still carries the claims. */
    g_autofree char *mint =
        g_strdup_printf("%s/participants/%s/token", one, sget(json_array_get(people, 2), "id"));
    r = req(f, 0, "POST", mint, NULL, 200);
    json_t *claims = cg_fx_token_claims(sget(r, "token"));
    g_assert_cmpstr(sget(claims, "language"), ==, "ar");
    g_assert_cmpstr(sget(claims, "relay_from"), ==, "es");
    json_decref(claims);
    json_decref(r);
    json_decref(c);
}

static void test_auth_failures_limited(Fixture *f, gconstpointer data)
{
    (void)data;
    req_error(f, -1, "GET", "/api/v1/consults", NULL, 401, "unauthorized");
    req_error(f, -1, "GET", "/api/v1/consults", NULL, 401, "unauthorized");
    req_error(f, -1, "GET", "/api/v1/consults", NULL, 429, "too_many_failures");
    /* A right key is never refused for others' failures at its address
     * (issue 9 finding 8); a missing one still is. */
    json_decref(req(f, 0, "GET", "/api/v1/consults", NULL, 200));
    req_error(f, -1, "GET", "/api/v1/consults", NULL, 429, "too_many_failures");
}

/* ---- consultctl ------------------------------------------------------------ */

typedef struct {
    int exit_code;
    char *out, *err;
} Run;

static void run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

static Run ctl(Fixture *f, const char *const *args)
{
    g_autofree char *url = g_strdup_printf("https://127.0.0.1:%u", cg_test_daemon_port(f->daemon));
    g_autofree char *key_file = g_build_filename(f->dir, "ctl.key", NULL);
    g_autofree char *cacert = g_build_filename(f->dir, "cert.pem", NULL);
    g_assert_true(g_file_set_contents(key_file, cg_test_daemon_api_key(f->daemon, 0), -1, NULL));
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)g_getenv("CG_CONSULTCTL"));
    g_ptr_array_add(argv, "--url");
    g_ptr_array_add(argv, url);
    g_ptr_array_add(argv, "--api-key-file");
    g_ptr_array_add(argv, key_file);
    g_ptr_array_add(argv, "--cacert");
    g_ptr_array_add(argv, cacert);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    Run r = {0};
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wait_status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r.exit_code = WEXITSTATUS(wait_status);
    g_test_message("consultctl %s -> %d\n%s%s", args[0], r.exit_code, r.out, r.err);
    return r;
}

static void test_consultctl(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *at = iso_in(3600);
    const char *create_args[] = {
        "consult",       "create",  "--kind",        "case_conference", "--specialty",
        "genetics",      "--title", "Tumour board",  "--starts-at",     at,
        "--duration",    "60",      "--participant", "Dr A:specialist", "--participant",
        "Dr B:provider", NULL};
    Run r = ctl(f, create_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *created = json_loads(r.out, 0, NULL);
    g_assert_nonnull(created);
    g_autofree char *id = g_strdup(sget(created, "id"));
    g_autofree char *pid = g_strdup(pid_of(created, 1));
    g_assert_cmpstr(sget(json_array_get(json_object_get(created, "participants"), 0), "name"), ==,
                    "Dr A");
    json_decref(created);
    run_clear(&r);

    const char *bad_args[] = {"consult",
                              "create",
                              "--kind",
                              "case_conference",
                              "--specialty",
                              "genetics",
                              "--title",
                              "T",
                              "--starts-at",
                              at,
                              "--duration",
                              "60",
                              "--participant",
                              "Pat:patient",
                              NULL};
    r = ctl(f, bad_args); /* the server refuses: exit 1, the field named */
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_nonnull(strstr(r.err, "participants[0].role"));
    run_clear(&r);

    const char *list_args[] = {"consult", "list", "--state", "scheduled", NULL};
    r = ctl(f, list_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_nonnull(strstr(r.out, id));
    g_assert_nonnull(strstr(r.out, "Tumour board"));
    run_clear(&r);

    const char *show_args[] = {"consult", "show", id, NULL};
    r = ctl(f, show_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *shown = json_loads(r.out, 0, NULL);
    g_assert_cmpstr(sget(shown, "id"), ==, id);
    g_assert_cmpstr(sget(shown, "kind"), ==, "case_conference");
    json_decref(shown);
    run_clear(&r);

    /* The video bitrate cap: on create, changed, back to the server's default. */
    const char *capped_args[] = {
        "consult",     "create",  "--kind",        "virtual_consult", "--specialty",
        "dermatology", "--title", "Poor link",     "--starts-at",     at,
        "--duration",  "30",      "--participant", "Dr A:specialist", "--video-bitrate",
        "300",         NULL};
    r = ctl(f, capped_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *capped = json_loads(r.out, 0, NULL);
    g_assert_cmpint(json_integer_value(json_object_get(capped, "video_bitrate_kbps")), ==, 300);
    g_autofree char *capped_id = g_strdup(sget(capped, "id"));
    json_decref(capped);
    run_clear(&r);
    const char *lower_args[] = {"consult", "video-bitrate", capped_id, "150", NULL};
    r = ctl(f, lower_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    capped = json_loads(r.out, 0, NULL);
    g_assert_cmpint(json_integer_value(json_object_get(capped, "video_bitrate_kbps")), ==, 150);
    json_decref(capped);
    run_clear(&r);
    const char *default_args[] = {"consult", "video-bitrate", capped_id, "default", NULL};
    r = ctl(f, default_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    capped = json_loads(r.out, 0, NULL);
    g_assert_true(json_is_null(json_object_get(capped, "video_bitrate_kbps")));
    json_decref(capped);
    run_clear(&r);
    const char *low_args[] = {"consult", "video-bitrate", capped_id, "20", NULL};
    r = ctl(f, low_args); /* the server refuses, naming the field */
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_nonnull(strstr(r.err, "video_bitrate_kbps"));
    run_clear(&r);
    const char *word_args[] = {"consult", "video-bitrate", capped_id, "fast", NULL};
    r = ctl(f, word_args);
    g_assert_cmpint(r.exit_code, ==, 2);
    run_clear(&r);

    /* Interpretation: create, add a relay interpreter, update, refusals. */
    const char *interp_args[] = {"consult",
                                 "create",
                                 "--kind",
                                 "virtual_consult",
                                 "--specialty",
                                 "cardiology",
                                 "--title",
                                 "With interpreters",
                                 "--starts-at",
                                 at,
                                 "--duration",
                                 "30",
                                 "--interpretation",
                                 "simultaneous",
                                 "--languages",
                                 "es,ar",
                                 "--floor-language",
                                 "en",
                                 "--floor-level",
                                 "-20",
                                 "--participant",
                                 "Dr: A:specialist",
                                 "--participant",
                                 "Ana Ruiz:interpreter:es",
                                 NULL};
    r = ctl(f, interp_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *interp = json_loads(r.out, 0, NULL);
    g_autofree char *interp_id = g_strdup(sget(interp, "id"));
    g_assert_cmpstr(sget(json_object_get(interp, "interpretation"), "mode"), ==, "simultaneous");
    g_assert_cmpstr(sget(interp, "floor_language"), ==, "en");
    g_assert_cmpint(json_integer_value(json_object_get(interp, "floor_level_db")), ==, -20);
    json_t *interp_people = json_object_get(interp, "participants");
    g_assert_cmpstr(sget(json_array_get(interp_people, 0), "name"), ==, "Dr: A");
    g_assert_cmpstr(sget(json_array_get(interp_people, 1), "name"), ==, "Ana Ruiz");
    g_assert_cmpstr(sget(json_array_get(interp_people, 1), "language"), ==, "es");
    json_decref(interp);
    run_clear(&r);
    const char *relay_args[] = {"participant", "add", interp_id, "Omar:interpreter:ar:es", NULL};
    r = ctl(f, relay_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *omar = json_loads(r.out, 0, NULL);
    g_assert_cmpstr(sget(omar, "relay_from"), ==, "es");
    json_t *omar_claims = cg_fx_token_claims(sget(omar, "token"));
    g_assert_cmpstr(sget(omar_claims, "language"), ==, "ar");
    g_assert_cmpstr(sget(omar_claims, "relay_from"), ==, "es");
    json_decref(omar_claims);
    json_decref(omar);
    run_clear(&r);
    const char *bad_add_args[] = {"participant", "add", interp_id, "Zed:interpreter:fr", NULL};
    r = ctl(f, bad_add_args); /* the server refuses, naming the field */
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_nonnull(strstr(r.err, "(field language)"));
    run_clear(&r);
    const char *level_args[] = {"consult", "update", interp_id, "--floor-level", "-30", NULL};
    r = ctl(f, level_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    interp = json_loads(r.out, 0, NULL);
    g_assert_cmpint(json_integer_value(json_object_get(interp, "floor_level_db")), ==, -30);
    json_decref(interp);
    run_clear(&r);
    const char *none_args[] = {"consult", "update", interp_id, "--interpretation", "none", NULL};
    r = ctl(f, none_args); /* interpreters are there: refused, naming the field */
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_nonnull(strstr(r.err, "(field interpretation)"));
    run_clear(&r);
    const char *more_args[] = {"consult",      "update",      interp_id,  "--interpretation",
                               "simultaneous", "--languages", "es,ar,fr", "--floor-language",
                               "none",         NULL};
    r = ctl(f, more_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    interp = json_loads(r.out, 0, NULL);
    g_assert_cmpuint(
        json_array_size(json_object_get(json_object_get(interp, "interpretation"), "languages")),
        ==, 3);
    g_assert_true(json_is_null(json_object_get(interp, "floor_language")));
    json_decref(interp);
    run_clear(&r);
    const char *lonely_args[] = {"consult", "update", interp_id, "--languages", "es", NULL};
    r = ctl(f, lonely_args); /* a usage error: never sent */
    g_assert_cmpint(r.exit_code, ==, 2);
    run_clear(&r);

    const char *mint_args[] = {"token", "mint", id, pid, NULL};
    r = ctl(f, mint_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    json_t *minted = json_loads(r.out, 0, NULL);
    g_assert_cmpuint(strlen(sget(minted, "token")), >, 20);
    json_decref(minted);
    run_clear(&r);

    const char *cancel_args[] = {"consult", "cancel", id, NULL};
    r = ctl(f, cancel_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_nonnull(strstr(r.out, "cancelled"));
    run_clear(&r);
    r = ctl(f, mint_args);
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_nonnull(strstr(r.err, "consult_ended"));
    run_clear(&r);

    const char *nothing[] = {"consult", "explode", NULL};
    r = ctl(f, nothing);
    g_assert_cmpint(r.exit_code, ==, 2);
    run_clear(&r);

    g_autofree char *db = g_build_filename(f->dir, "consultd.db", NULL);
    g_autofree char *audit_key = g_build_filename(f->dir, "var", "audit.key", NULL);
    const char *verify_args[] = {"audit", "verify", "--db", db, "--key-file", audit_key, NULL};
    r = ctl(f, verify_args);
    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_true(g_str_has_prefix(r.out, "audit chain intact: "));
    g_assert_cmpint(g_ascii_strtoll(r.out + strlen("audit chain intact: "), NULL, 10), >=, 7);
    run_clear(&r);

    /* Someone with file access rewrites an outcome: verify says where. */
    sqlite3 *sdb = NULL;
    g_assert_cmpint(sqlite3_open(db, &sdb), ==, SQLITE_OK);
    sqlite3_busy_timeout(sdb, 5000);
    g_assert_cmpint(
        sqlite3_exec(sdb, "UPDATE audit SET outcome = 'ok' WHERE id = 2", NULL, NULL, NULL), ==,
        SQLITE_OK);
    sqlite3_close(sdb);
    r = ctl(f, verify_args);
    g_assert_cmpint(r.exit_code, ==, 1);
    g_assert_true(g_str_has_prefix(r.out, "audit chain broken at record 2: "));
    run_clear(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/admin/tenant-isolation", Fixture, NULL, setup, test_tenant_isolation, teardown);
    g_test_add("/admin/crud-flow", Fixture, NULL, setup, test_crud_flow, teardown);
    g_test_add("/admin/video-bitrate", Fixture, NULL, setup, test_video_bitrate, teardown);
    g_test_add("/admin/interpretation", Fixture, NULL, setup, test_interpretation, teardown);
    g_test_add("/admin/auth-failures-limited", Fixture,
               "max_auth_failures = 2; auth_failure_window_s = 600;", setup,
               test_auth_failures_limited, teardown);
    g_test_add("/admin/consultctl", Fixture, NULL, setup, test_consultctl, teardown);
    return g_test_run();
}
