/* Unit tests of the consult domain: ids, roles, the store and the admin
 * API's create-consult validation (a real SQLite file, no sockets). */
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "admin_api.h"
#include "ids.h"
#include "jwt.h"
#include "roles.h"
#include "store.h"
#include "tenants.h"
#include "turn_credentials.h"

typedef struct {
    char *dir;
    CgConfig *config;
    CgStore *store;
    CgTenants *tenants;
    CgAdminApi *api;
} Fixture;

static const char secret_text[] = "0123456789abcdef0123456789abcdef";

static void write_file(const char *path, const char *text)
{
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = g_dir_make_tmp("cg-signaling-XXXXXX", NULL);
    g_autofree char *key = g_build_filename(f->dir, "a.key", NULL);
    g_autofree char *secret = g_build_filename(f->dir, "a.secret", NULL);
    g_autofree char *key_b = g_build_filename(f->dir, "b.key", NULL);
    g_autofree char *db = g_build_filename(f->dir, "db", "consultd.db", NULL);
    write_file(key, "tenant-a-api-key-0000000000\n");
    write_file(secret, secret_text);
    write_file(key_b, "tenant-b-api-key-1111111111");
    g_autofree char *conf = g_strdup_printf(
        "store: { path = \"%s\"; };\n"
        "consults: { max_participants = 4; };\n"
        "tenants: { list = ( { id = \"a\"; name = \"A\"; api_key_file = \"%s\"; secret_file = "
        "\"%s\"; }, { id = \"b\"; name = \"B\"; api_key_file = \"%s\"; secret_file = \"%s\"; } "
        "); };\n",
        db, key, secret, key_b, secret);
    g_autoptr(GError) error = NULL;
    f->config = cg_config_load_string(conf, "test.conf", &error);
    g_assert_no_error(error);
    f->store = cg_store_open(f->config->store_path, &error);
    g_assert_no_error(error);
    f->tenants = cg_tenants_new(f->config, &error);
    g_assert_no_error(error);
    f->api = cg_admin_api_new(f->config, f->store, NULL, NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    (void)data;
    cg_admin_api_free(f->api);
    cg_tenants_free(f->tenants);
    cg_store_close(f->store);
    cg_config_free(f->config);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->dir);
}

static json_t *create(Fixture *f, const char *tenant_key, const char *body, guint *status)
{
    CgHttpResponse response = {0};
    const CgTenant *tenant = cg_tenants_by_api_key(f->tenants, tenant_key);
    cg_admin_api_handle(f->api, tenant, "POST", "/api/v1/consults", body, body ? strlen(body) : 0,
                        "127.0.0.1", 1790000000, &response);
    *status = response.status;
    json_t *json = json_loads(response.body, 0, NULL);
    g_assert_nonnull(json);
    cg_http_response_clear(&response);
    return json;
}

static const char good_body[] =
    "{\"kind\":\"virtual_consult\",\"specialty\":\"genetics\",\"title\":\"Second opinion\","
    "\"starts_at\":\"2026-11-22T14:00:00Z\",\"duration_min\":30,\"participants\":["
    "{\"name\":\"Dr. Lee\",\"role\":\"specialist\"},{\"name\":\"Sam Doe\",\"role\":\"patient\"}]}";

static void test_ids(void)
{
    g_autofree char *a = cg_id_new("c");
    g_autofree char *b = cg_id_new("c");
    g_assert_true(cg_id_is_valid(a, "c"));
    g_assert_false(cg_id_is_valid(a, "p"));
    g_assert_cmpstr(a, !=, b);
    g_assert_false(cg_id_is_valid("c-ABC", "c"));
    g_assert_false(cg_id_is_valid("c-aaaaaaaaaaa1", "c")); /* '1' is not base32 */

    /* Secret ids: prefix, dash, 26 base32 characters; never two alike. */
    g_autofree char *r = cg_secret_id_new("r");
    g_autofree char *r2 = cg_secret_id_new("r");
    g_assert_cmpuint(strlen(r), ==, 28);
    g_assert_true(g_str_has_prefix(r, "r-"));
    g_assert_cmpuint(strspn(r + 2, "abcdefghijklmnopqrstuvwxyz234567"), ==, 26);
    g_assert_cmpstr(r, !=, r2);
}

static void test_roles(void)
{
    g_assert_true(cg_role_allowed_in_kind("patient", "virtual_consult"));
    g_assert_false(cg_role_allowed_in_kind("patient", "case_conference"));
    g_assert_true(cg_role_allowed_in_kind("observer", "case_conference"));
    g_assert_false(cg_role_allowed_in_kind("admin", "virtual_consult"));
    g_assert_false(cg_role_allowed_in_kind("specialist", "party"));
    /* screen share: the clinicians who lead, nobody else (and no unknown role) */
    g_assert_true(cg_role_may_share_screen("specialist"));
    g_assert_true(cg_role_may_share_screen("provider"));
    g_assert_false(cg_role_may_share_screen("patient"));
    g_assert_false(cg_role_may_share_screen("interpreter"));
    g_assert_false(cg_role_may_share_screen("observer"));
    g_assert_false(cg_role_may_share_screen("Specialist"));
    g_assert_false(cg_role_may_share_screen(NULL));
}

static void test_tenant_lookup(Fixture *f, gconstpointer data)
{
    (void)data;
    const CgTenant *a = cg_tenants_by_api_key(f->tenants, "tenant-a-api-key-0000000000");
    g_assert_nonnull(a);
    g_assert_cmpstr(cg_tenant_id(a), ==, "a");
    g_assert_null(cg_tenants_by_api_key(f->tenants, "tenant-a-api-key-000000000"));
    g_assert_null(cg_tenants_by_api_key(f->tenants, ""));
    g_assert_true(cg_tenants_by_id(f->tenants, "b") != a);
}

static void test_create_consult(Fixture *f, gconstpointer data)
{
    (void)data;
    guint status = 0;
    json_t *json = create(f, "tenant-a-api-key-0000000000", good_body, &status);
    g_assert_cmpuint(status, ==, 201);
    const char *id = json_string_value(json_object_get(json, "id"));
    g_assert_true(cg_id_is_valid(id, "c"));
    g_assert_cmpstr(json_string_value(json_object_get(json, "starts_at")), ==,
                    "2026-11-22T14:00:00Z");
    json_t *parts = json_object_get(json, "participants");
    g_assert_cmpuint(json_array_size(parts), ==, 2);
    json_t *patient = json_array_get(parts, 1);
    const char *token = json_string_value(json_object_get(patient, "token"));
    g_autofree char *url = g_strdup_printf("https://localhost:8443/c/%s#token=%s", id, token);
    g_assert_cmpstr(json_string_value(json_object_get(patient, "join_url")), ==, url);

    /* The token verifies with the tenant's secret and carries the participant. */
    CgTokenClaims claims = {0};
    g_autoptr(GError) error = NULL;
    gint64 starts = 1795356000; /* 2026-11-22T14:00:00Z */
    g_assert_true(cg_jwt_verify(token, 4096, (const guint8 *)secret_text, strlen(secret_text),
                                starts, 0, &claims, &error));
    g_assert_cmpstr(claims.iss, ==, "a");
    g_assert_cmpstr(claims.consult, ==, id);
    g_assert_cmpstr(claims.role, ==, "patient");
    g_assert_cmpstr(claims.sub, ==, json_string_value(json_object_get(patient, "id")));
    g_assert_cmpint(claims.nbf, ==, starts - 15 * 60);
    g_assert_cmpint(claims.exp, ==, starts + (30 + 15 + 60) * 60);

    /* Stored, and scoped by tenant. */
    CgParticipantRecord p = {0};
    g_assert_true(cg_store_get_participant(f->store, "a", id, claims.sub, &p, NULL));
    g_assert_cmpstr(p.name, ==, "Sam Doe");
    cg_participant_record_clear(&p);
    CgConsultRecord c = {0};
    g_assert_false(cg_store_get_consult(f->store, "b", id, &c, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    cg_token_claims_clear(&claims);
    json_decref(json);
}

/* Each bad body: the status, the code and the field it names. */
static void test_create_refusals(Fixture *f, gconstpointer data)
{
    (void)data;
    static const struct {
        const char *body;
        guint status;
        const char *code, *field;
    } cases[] = {
        {"not json", 400, "malformed_json", NULL},
        {"[1,2]", 400, "malformed_json", NULL},
        {"{}", 400, "missing_field", "kind"},
        {"{\"kind\":\"party\"}", 400, "invalid_field", "kind"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"\",\"title\":\"t\"}", 400, "invalid_field",
         "specialty"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"tomorrow\",\"duration_min\":30,\"participants\":[]}",
         400, "invalid_field", "starts_at"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":3,\"participants\":[]}",
         400, "invalid_field", "duration_min"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":30}",
         400, "missing_field", "participants"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":30,\"participants\":[{\"name\":\"x\","
         "\"role\":\"specialist\"},{\"name\":\"y\",\"role\":\"surgeon\"}]}",
         400, "invalid_field", "participants[1].role"},
        {"{\"kind\":\"case_conference\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":30,\"participants\":[{\"name\":\"x\","
         "\"role\":\"specialist\"},{\"name\":\"y\",\"role\":\"patient\"}]}",
         400, "invalid_field", "participants[1].role"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":30,\"participants\":[{\"name\":\"y\","
         "\"role\":\"patient\"}]}",
         400, "invalid_field", "participants"},
        {"{\"kind\":\"virtual_consult\",\"specialty\":\"s\",\"title\":\"t\",\"starts_at\":"
         "\"2026-11-22T14:00:00Z\",\"duration_min\":30,\"participants\":[{\"name\":\"a\","
         "\"role\":\"specialist\"},{\"name\":\"b\",\"role\":\"patient\"},{\"name\":\"c\","
         "\"role\":\"patient\"},{\"name\":\"d\",\"role\":\"patient\"},{\"name\":\"e\","
         "\"role\":\"patient\"}]}",
         400, "invalid_field", "participants"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint status = 0;
        json_t *json = create(f, "tenant-a-api-key-0000000000", cases[i].body, &status);
        json_t *error = json_object_get(json, "error");
        g_test_message("case %zu: %s", i, json_string_value(json_object_get(error, "message")));
        g_assert_cmpuint(status, ==, cases[i].status);
        g_assert_cmpstr(json_string_value(json_object_get(error, "code")), ==, cases[i].code);
        g_assert_cmpstr(json_string_value(json_object_get(error, "field")), ==, cases[i].field);
        g_assert_nonnull(json_string_value(json_object_get(error, "message")));
        json_decref(json);
    }
    guint status = 0;
    json_t *json = create(f, "wrong-key", good_body, &status);
    g_assert_cmpuint(status, ==, 401);
    json_decref(json);
}

static void test_store_reopen_keeps_data(Fixture *f, gconstpointer data)
{
    (void)data;
    guint status = 0;
    json_t *json = create(f, "tenant-a-api-key-0000000000", good_body, &status);
    g_assert_cmpuint(status, ==, 201);
    const char *id = json_string_value(json_object_get(json, "id"));
    cg_admin_api_free(f->api);
    cg_store_close(f->store);
    g_autoptr(GError) error = NULL;
    f->store = cg_store_open(f->config->store_path, &error);
    g_assert_no_error(error);
    f->api = cg_admin_api_new(f->config, f->store, NULL, NULL);
    g_assert_cmpint(cg_store_schema_version(f->store), ==, 6);
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, &error));
    g_assert_cmpstr(c.title, ==, "Second opinion");
    g_assert_cmpuint(c.duration_min, ==, 30);
    cg_consult_record_clear(&c);
    json_decref(json);
}

/* TURN REST credentials: base64(HMAC-SHA1(secret, "EXPIRY:OPAQUE")); the
 * expected value was computed with the openssl command line. */
static void test_turn_credentials(void)
{
    const char *secret = "north-wing-turn-secret";
    g_autofree char *password =
        cg_turn_password((const guint8 *)secret, strlen(secret), "1795330000:t-abcdefghijkl");
    g_assert_cmpstr(password, ==, "JEPyw1Fk/MK6a6Yp1+o43kqqDzg=");

    static const char *const stun[] = {"stun:stun.example.org:3478", NULL};
    static const char *const turn[] = {"turn:turn.example.org:3478?transport=udp",
                                       "turns:turn.example.org:5349", NULL};
    g_autoptr(GBytes) key = g_bytes_new_static(secret, strlen(secret));
    json_t *none = cg_ice_servers_json(NULL, NULL, key, 1795330000, "t-abcdefghijkl");
    g_assert_cmpuint(json_array_size(none), ==, 0);
    json_decref(none);
    json_t *no_secret = cg_ice_servers_json(stun, turn, NULL, 1795330000, "t-abcdefghijkl");
    g_assert_cmpuint(json_array_size(no_secret), ==, 1); /* TURN needs the secret */
    json_decref(no_secret);

    json_t *both = cg_ice_servers_json(stun, turn, key, 1795330000, "t-abcdefghijkl");
    g_assert_cmpuint(json_array_size(both), ==, 2);
    json_t *t = json_array_get(both, 1);
    g_assert_cmpuint(json_array_size(json_object_get(t, "urls")), ==, 2);
    g_assert_cmpstr(json_string_value(json_object_get(t, "username")), ==,
                    "1795330000:t-abcdefghijkl");
    g_assert_cmpstr(json_string_value(json_object_get(t, "credential")), ==,
                    "JEPyw1Fk/MK6a6Yp1+o43kqqDzg=");
    g_autofree char *text = json_dumps(both, 0);
    g_assert_null(strstr(text, secret)); /* the secret itself never goes out */
    json_decref(both);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/ids", test_ids);
    g_test_add_func("/consult/roles", test_roles);
    g_test_add_func("/consult/turn-credentials", test_turn_credentials);
    g_test_add("/consult/tenants/lookup", Fixture, NULL, fixture_set_up, test_tenant_lookup,
               fixture_tear_down);
    g_test_add("/consult/admin/create", Fixture, NULL, fixture_set_up, test_create_consult,
               fixture_tear_down);
    g_test_add("/consult/admin/refusals", Fixture, NULL, fixture_set_up, test_create_refusals,
               fixture_tear_down);
    g_test_add("/consult/store/reopen", Fixture, NULL, fixture_set_up, test_store_reopen_keeps_data,
               fixture_tear_down);
    return g_test_run();
}
