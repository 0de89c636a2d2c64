/* integration-consult-admin_api: the admin API of the real consultd
 * (docs/api.md): authentication, the error shape, and a created consult's
 * ids, tokens and join links. */
#include <string.h>

#include "consult_fixture.h"

typedef struct {
    CgTestDaemon *daemon;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {.n_tenants = 2};
    f->daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    g_clear_pointer(&f->daemon, cg_test_daemon_free);
}

static const char *VALID_BODY =
    "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\",\"title\":\"Follow-up\","
    "\"starts_at\":\"2030-11-22T14:00:00Z\",\"duration_min\":30,"
    "\"participants\":[{\"name\":\"Dr. Lee\",\"role\":\"specialist\"},"
    "{\"name\":\"Dr. Osei\",\"role\":\"provider\"},{\"name\":\"Sam Doe\",\"role\":\"patient\"}]}";

/* POSTs @body with @key; asserts @want_status and, for errors, the error
 * shape with @want_code and (if non-NULL) @want_field. */
static json_t *post(Fixture *f, const char *key, const char *body, guint want_status,
                    const char *want_code, const char *want_field)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    gboolean ok = cg_test_admin_request(f->daemon, "POST", "/api/v1/consults", key, body, &status,
                                        &resp, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    if (status != want_status) {
        g_autofree char *text = resp ? json_dumps(resp, JSON_COMPACT) : g_strdup("(no JSON)");
        g_error("POST %.60s: want %u, got %u %s", body ? body : "(none)", want_status, status,
                text);
    }
    if (!want_code)
        return resp;
    json_t *err = json_object_get(resp, "error");
    g_assert_true(json_is_object(err));
    g_assert_cmpstr(json_string_value(json_object_get(err, "code")), ==, want_code);
    g_assert_true(json_is_string(json_object_get(err, "message")));
    g_assert_cmpuint(strlen(json_string_value(json_object_get(err, "message"))), >, 0);
    if (want_field)
        g_assert_cmpstr(json_string_value(json_object_get(err, "field")), ==, want_field);
    json_decref(resp);
    return NULL;
}

static void test_unauthorized(Fixture *f, gconstpointer data)
{
    (void)data;
    post(f, NULL, VALID_BODY, 401, "unauthorized", NULL);
    post(f, "not-a-key-of-anyone", VALID_BODY, 401, "unauthorized", NULL);
    /* One tenant's key with a character changed is still unknown. */
    g_autofree char *near = g_strdup(cg_test_daemon_api_key(f->daemon, 0));
    near[0] = near[0] == 'a' ? 'b' : 'a';
    post(f, near, VALID_BODY, 401, "unauthorized", NULL);
}

static char *with_replaced(const char *from, const char *to)
{
    g_autoptr(GString) s = g_string_new(VALID_BODY);
    g_assert_cmpint(g_string_replace(s, from, to, 1), ==, 1);
    return g_strdup(s->str);
}

static void test_bad_requests(Fixture *f, gconstpointer data)
{
    (void)data;
    const char *key = cg_test_daemon_api_key(f->daemon, 0);
    post(f, key, "{\"kind\": \"virtual_consult\",", 400, "malformed_json", NULL);
    post(f, key, "[1, 2, 3]", 400, "malformed_json", NULL);

    g_autofree char *no_title = with_replaced("\"title\":\"Follow-up\",", "");
    post(f, key, no_title, 400, "missing_field", "title");

    g_autofree char *bad_role = with_replaced("\"provider\"", "\"surgeon\"");
    post(f, key, bad_role, 400, "invalid_field", "participants[1].role");

    g_autofree char *bad_start = with_replaced("2030-11-22T14:00:00Z", "next tuesday");
    post(f, key, bad_start, 400, "invalid_field", "starts_at");

    g_autofree char *not_utc = with_replaced("2030-11-22T14:00:00Z", "2030-13-22T14:00:00Z");
    post(f, key, not_utc, 400, "invalid_field", "starts_at");

    g_autofree char *conf = with_replaced("virtual_consult", "case_conference");
    post(f, key, conf, 400, "invalid_field", "participants[2].role");
}

static void assert_signed(const char *token, const char *secret)
{
    const char *last_dot = strrchr(token, '.');
    g_assert_nonnull(last_dot);
    g_autofree char *input = g_strndup(token, last_dot - token);
    g_autoptr(GHmac) mac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret, strlen(secret));
    g_hmac_update(mac, (const guchar *)input, -1);
    guint8 digest[32];
    gsize len = sizeof digest;
    g_hmac_get_digest(mac, digest, &len);
    g_autofree char *want = cg_test_base64url(digest, len);
    g_assert_cmpstr(last_dot + 1, ==, want);
}

static void assert_token(Fixture *f, json_t *p, const char *consult_id, const char *name,
                         const char *role)
{
    const char *token = json_string_value(json_object_get(p, "token"));
    g_assert_nonnull(token);
    json_t *header = cg_fx_token_header(token); /* asserts three parts, and JSON */
    json_t *claims = cg_fx_token_claims(token);
    g_assert_cmpstr(json_string_value(json_object_get(header, "alg")), ==, "HS256");
    g_assert_cmpstr(json_string_value(json_object_get(claims, "iss")), ==, "tenant-a");
    g_assert_cmpstr(json_string_value(json_object_get(claims, "sub")), ==,
                    json_string_value(json_object_get(p, "id")));
    g_assert_cmpstr(json_string_value(json_object_get(claims, "consult")), ==, consult_id);
    g_assert_cmpstr(json_string_value(json_object_get(claims, "role")), ==, role);
    g_assert_cmpstr(json_string_value(json_object_get(claims, "name")), ==, name);
    /* 2030-11-22T14:00:00Z = 1921586400; open_before 15 min; exp after
     * duration 30 + grace 15 + token lifetime 60 min. */
    g_assert_cmpint(json_integer_value(json_object_get(claims, "nbf")), ==, 1921586400 - 15 * 60);
    g_assert_cmpint(json_integer_value(json_object_get(claims, "exp")), ==,
                    1921586400 + (30 + 15 + 60) * 60);
    json_decref(header);
    json_decref(claims);
    assert_signed(token, cg_test_daemon_secret(f->daemon, 0));
    g_autofree char *url =
        g_strdup_printf("https://consult.test:8443/c/%s#token=%s", consult_id, token);
    g_assert_cmpstr(json_string_value(json_object_get(p, "join_url")), ==, url);
}

static void test_create(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *resp = post(f, cg_test_daemon_api_key(f->daemon, 0), VALID_BODY, 201, NULL, NULL);
    g_assert_nonnull(resp);
    g_autofree char *id = g_strdup(json_string_value(json_object_get(resp, "id")));
    g_assert_nonnull(id);
    g_assert_true(g_str_has_prefix(id, "c-") && strlen(id) > 2);
    g_assert_cmpstr(json_string_value(json_object_get(resp, "kind")), ==, "virtual_consult");
    g_assert_cmpstr(json_string_value(json_object_get(resp, "specialty")), ==, "dermatology");
    g_assert_cmpstr(json_string_value(json_object_get(resp, "title")), ==, "Follow-up");
    g_assert_cmpstr(json_string_value(json_object_get(resp, "starts_at")), ==,
                    "2030-11-22T14:00:00Z");
    g_assert_cmpint(json_integer_value(json_object_get(resp, "duration_min")), ==, 30);
    json_t *people = json_object_get(resp, "participants");
    g_assert_cmpuint(json_array_size(people), ==, 3);
    static const char *const names[] = {"Dr. Lee", "Dr. Osei", "Sam Doe"};
    static const char *const roles[] = {"specialist", "provider", "patient"};
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < 3; i++) {
        json_t *p = json_array_get(people, i);
        const char *pid = json_string_value(json_object_get(p, "id"));
        g_assert_nonnull(pid);
        g_assert_true(g_str_has_prefix(pid, "p-") && strlen(pid) > 2);
        g_assert_true(g_hash_table_add(ids, (gpointer)pid)); /* unique */
        g_assert_cmpstr(json_string_value(json_object_get(p, "name")), ==, names[i]);
        g_assert_cmpstr(json_string_value(json_object_get(p, "role")), ==, roles[i]);
        assert_token(f, p, id, names[i], roles[i]);
    }
    json_decref(resp);

    /* Another tenant's key works too, and a second consult gets a new id. */
    json_t *other = post(f, cg_test_daemon_api_key(f->daemon, 1), VALID_BODY, 201, NULL, NULL);
    g_assert_cmpstr(json_string_value(json_object_get(other, "id")), !=, id);
    json_decref(other);
}

/* @method @path with tenant 0's key; asserts @want_status and error @want_code. */
static void request(Fixture *f, const char *method, const char *path, const char *body,
                    guint want_status, const char *want_code)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(cg_test_admin_request(f->daemon, method, path,
                                        cg_test_daemon_api_key(f->daemon, 0), body, &status, &resp,
                                        &error));
    g_assert_no_error(error);
    if (status != want_status)
        g_error("%s %s: want %u, got %u", method, path, want_status, status);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(resp, "error"), "code")), ==,
                    want_code);
    json_decref(resp);
}

static void test_other_errors(Fixture *f, gconstpointer data)
{
    (void)data;
    request(f, "GET", "/api/v1/no-such-thing", NULL, 404, "not_found");
    request(f, "DELETE", "/api/v1/consults", NULL, 405, "method_not_allowed");
    g_autoptr(GString) big = g_string_new("{\"title\":\"");
    while (big->len <= 65536)
        g_string_append(big, "xxxxxxxxxxxxxxxx");
    g_string_append(big, "\"}");
    request(f, "POST", "/api/v1/consults", big->str, 413, "body_too_large");
}

static void test_healthz(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(
        cg_test_admin_request(f->daemon, "GET", "/healthz", NULL, NULL, &status, &resp, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpstr(json_string_value(json_object_get(resp, "status")), ==, "ok");
    json_decref(resp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/consult/admin_api/unauthorized", Fixture, NULL, setup, test_unauthorized,
               teardown);
    g_test_add("/consult/admin_api/bad_requests", Fixture, NULL, setup, test_bad_requests,
               teardown);
    g_test_add("/consult/admin_api/other_errors", Fixture, NULL, setup, test_other_errors,
               teardown);
    g_test_add("/consult/admin_api/create", Fixture, NULL, setup, test_create, teardown);
    g_test_add("/consult/admin_api/healthz", Fixture, NULL, setup, test_healthz, teardown);
    return g_test_run();
}
