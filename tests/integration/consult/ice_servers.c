/* integration-consult-ice_servers: with STUN and TURN configured, "joined"
 * hands each endpoint the STUN URLs and its own short-lived TURN credentials
 * (TURN REST: username "EXPIRY:RANDOM", password base64(HMAC-SHA1(secret,
 * username))); the secret and the participant's identity never go out. */
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "consult_fixture.h"

#define SECRET "turn-shared-secret-for-this-test-only"
#define TTL_S 600

static json_t *joined_of(CgTestDaemon *daemon, const char *token)
{
    CgTestEndpointOptions o = {.no_publish = TRUE};
    CgTestEndpoint *ep = cg_test_endpoint_new(cg_test_daemon_port(daemon),
                                              cg_test_daemon_certificate(daemon), token, &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(ep, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    json_t *joined = json_incref(cg_test_endpoint_joined_message(ep));
    cg_test_endpoint_free(ep);
    return joined;
}

static char *expected_password(const char *username)
{
    guint8 mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    g_assert_nonnull(HMAC(EVP_sha1(), SECRET, (int)strlen(SECRET), (const guint8 *)username,
                          strlen(username), mac, &len));
    return g_base64_encode(mac, len);
}

static const char *check_turn(json_t *joined, const char *participant_id)
{
    json_t *servers = json_object_get(joined, "ice_servers");
    g_assert_cmpuint(json_array_size(servers), ==, 2);
    json_t *stun = json_array_get(servers, 0);
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(stun, "urls"), 0)), ==,
                    "stun:stun.example.org:3478");
    g_assert_null(json_object_get(stun, "credential"));
    json_t *turn = json_array_get(servers, 1);
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(turn, "urls"), 0)), ==,
                    "turn:turn.example.org:3478?transport=udp");
    const char *username = json_string_value(json_object_get(turn, "username"));
    g_assert_nonnull(username);
    gint64 expiry = g_ascii_strtoll(username, NULL, 10);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_assert_cmpint(expiry, >=, now + TTL_S - 30);
    g_assert_cmpint(expiry, <=, now + TTL_S + 30);
    g_assert_null(strstr(username, participant_id));
    g_autofree char *password = expected_password(username);
    g_assert_cmpstr(json_string_value(json_object_get(turn, "credential")), ==, password);
    g_autofree char *text = json_dumps(joined, 0);
    g_assert_null(strstr(text, SECRET));
    return username;
}

static void test_ice_servers(void)
{
    g_autofree char *dir = g_dir_make_tmp("cg-turn-XXXXXX", NULL);
    g_autofree char *secret_file = g_build_filename(dir, "turn.secret", NULL);
    g_assert_true(g_file_set_contents(secret_file, SECRET "\n", -1, NULL));
    g_autofree char *media =
        g_strdup_printf("client_stun_urls = [ \"stun:stun.example.org:3478\" ];\n"
                        "client_turn_urls = [ \"turn:turn.example.org:3478?transport=udp\" ];\n"
                        "turn_secret_file = \"%s\";\nturn_credential_ttl_s = %d;\n",
                        secret_file, TTL_S);
    CgTestDaemonOptions o = {.media_extra = media};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&o);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    json_t *a = joined_of(daemon, c->tokens[0]);
    json_t *b = joined_of(daemon, c->tokens[1]);
    g_autofree char *user_a = g_strdup(check_turn(a, c->ids[0]));
    const char *user_b = check_turn(b, c->ids[1]);
    g_assert_cmpstr(strchr(user_a, ':'), !=, strchr(user_b, ':')); /* one per join */
    json_decref(a);
    json_decref(b);
    g_unlink(secret_file);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/ice_servers", test_ice_servers);
    return g_test_run();
}
