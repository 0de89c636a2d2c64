/* flow_common.c — see flow_common.h. */
#include "flow_common.h"

#include <string.h>

/* ---- consults and tokens --------------------------------------------------- */

void flow_consult_free(FlowConsult *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->n; i++) {
        g_free(c->ids[i]);
        g_free(c->roles[i]);
        g_free(c->tokens[i]);
    }
    g_free(c->id);
    g_free(c->tenant);
    g_free(c);
}

static char *rfc3339(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

FlowConsult *flow_create(CgTestDaemon *d, const char *kind, gint64 starts_in_s, guint duration_min,
                         const char *const *roles)
{
    static const char *const names[] = {"Dr. Lee", "Sam Doe", "Dr. Osei", "Ana Ruiz", "Dr. Kim"};
    json_t *people = json_array();
    for (guint i = 0; roles[i]; i++) {
        g_assert_cmpuint(i, <, G_N_ELEMENTS(names));
        json_array_append_new(people, json_pack("{s:s, s:s}", "name", names[i], "role", roles[i]));
    }
    g_autofree char *starts = rfc3339(g_get_real_time() / G_USEC_PER_SEC + starts_in_s);
    json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "kind", kind, "specialty",
                            "dermatology", "title", "Flow test", "starts_at", starts,
                            "duration_min", (int)duration_min, "participants", people);
    g_autofree char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "POST", "/api/v1/consults", cg_test_daemon_api_key(d, 0), body,
                          &status, &resp, &error);
    g_assert_no_error(error);
    if (status != 201)
        g_error("create consult: %u %s", status, resp ? json_dumps(resp, 0) : "");
    FlowConsult *c = g_new0(FlowConsult, 1);
    c->id = g_strdup(json_string_value(json_object_get(resp, "id")));
    c->tenant = g_strdup(cg_test_daemon_tenant_id(d, 0));
    json_t *ps = json_object_get(resp, "participants");
    c->n = (guint)json_array_size(ps);
    g_assert_cmpuint(c->n, ==, g_strv_length((char **)roles));
    for (guint i = 0; i < c->n; i++) {
        json_t *p = json_array_get(ps, i);
        c->ids[i] = g_strdup(json_string_value(json_object_get(p, "id")));
        c->roles[i] = g_strdup(json_string_value(json_object_get(p, "role")));
        c->tokens[i] = g_strdup(json_string_value(json_object_get(p, "token")));
        g_assert_nonnull(c->ids[i]);
        g_assert_nonnull(c->tokens[i]);
    }
    g_assert_nonnull(c->id);
    json_decref(resp);
    return c;
}

char *flow_mint(const char *secret, const char *alg, const char *iss, const char *sub,
                const char *consult, const char *role, gint64 nbf, gint64 exp)
{
    g_autofree char *header = g_strdup_printf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", iss, "sub", sub, "consult", consult,
                  "role", role, "name", "Someone", "nbf", (json_int_t)nbf, "exp", (json_int_t)exp);
    g_autofree char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    return cg_test_mint_token(header, payload, secret);
}

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

json_t *flow_audit(CgTestDaemon *d, FlowConsult *c)
{
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/audit", c->id);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "GET", path, cg_test_daemon_api_key(d, 0), NULL, &status, &resp,
                          &error);
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    json_t *records = json_incref(json_object_get(resp, "records"));
    json_decref(resp);
    g_assert_true(json_is_array(records));
    return records;
}

guint flow_audit_count(json_t *audit, const char *action, const char *participant)
{
    guint n = 0;
    for (gsize i = 0; i < json_array_size(audit); i++) {
        json_t *r = json_array_get(audit, i);
        n += g_strcmp0(str(r, "action"), action) == 0 &&
             g_strcmp0(str(r, "participant"), participant) == 0;
    }
    return n;
}
