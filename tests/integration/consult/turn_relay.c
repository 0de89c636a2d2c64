/* integration-consult-turn_relay: Debian's coturn on loopback with
 * use-auth-secret. An endpoint whose every path must go through TURN
 * (relay-only) uses the credentials consultd handed out in "joined" and gets
 * media both ways; an endpoint with an expired credential gets nothing
 * through. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "consult_fixture.h"

#define SECRET "turn-relay-test-secret-0123456789"
#define TURNSERVER "/usr/bin/turnserver"

static guint16 free_udp_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(s, any, FALSE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* coturn holds @port once binding it ourselves fails. */
static gboolean port_taken(gpointer data)
{
    guint16 port = GPOINTER_TO_UINT(data);
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, port);
    return !g_socket_bind(s, addr, FALSE, NULL);
}

static GSubprocess *start_coturn(const char *dir, guint16 port)
{
    g_autofree char *listen = g_strdup_printf("--listening-port=%u", port);
    g_autofree char *secret = g_strdup_printf("--static-auth-secret=%s", SECRET);
    g_autofree char *log = g_strdup_printf("--log-file=%s/turn.log", dir);
    g_autofree char *pid = g_strdup_printf("--pidfile=%s/turn.pid", dir);
    g_autofree char *db = g_strdup_printf("--userdb=%s/turndb", dir);
    g_autoptr(GError) error = NULL;
    GSubprocess *turn = g_subprocess_new(
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, TURNSERVER,
        "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", listen, "--use-auth-secret",
        secret, "--realm=consultgw.test", "--allow-loopback-peers", "--no-tls", "--no-dtls",
        "--no-cli", "--no-multicast-peers", "--simple-log", log, pid, db, NULL);
    g_assert_no_error(error);
    if (!cg_test_wait_until(port_taken, GUINT_TO_POINTER(port), 10000))
        g_error("coturn did not start listening on 127.0.0.1:%u", port);
    return turn;
}

static char *expired_turn_uri(guint16 port)
{
    g_autofree char *user = g_strdup_printf("%" G_GINT64_FORMAT ":t-expiredexpir",
                                            g_get_real_time() / G_USEC_PER_SEC - 60);
    guint8 mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), SECRET, (int)strlen(SECRET), (const guint8 *)user, strlen(user), mac, &len);
    g_autofree char *pass = g_base64_encode(mac, len);
    g_autofree char *u = g_uri_escape_string(user, NULL, FALSE);
    g_autofree char *p = g_uri_escape_string(pass, NULL, FALSE);
    return g_strdup_printf("turn://%s:%s@127.0.0.1:%u", u, p, port);
}

static void test_turn_relay(void)
{
    if (!g_file_test(TURNSERVER, G_FILE_TEST_IS_EXECUTABLE))
        g_error(TURNSERVER " is missing: run tools/install-deps.sh (package coturn)");
    g_autofree char *dir = g_dir_make_tmp("cg-turn-XXXXXX", NULL);
    g_autofree char *secret_file = g_build_filename(dir, "turn.secret", NULL);
    g_assert_true(g_file_set_contents(secret_file, SECRET "\n", -1, NULL));
    guint16 port = free_udp_port();
    g_autoptr(GSubprocess) turn = start_coturn(dir, port);

    g_autofree char *media =
        g_strdup_printf("client_turn_urls = [ \"turn:127.0.0.1:%u?transport=udp\" ];\n"
                        "turn_secret_file = \"%s\";\n",
                        port, secret_file);
    CgTestDaemonOptions o = {.media_extra = media};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&o);
    static const char *const roles[] = {"specialist", "provider", "interpreter", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    g_autoptr(CgTestEndpoint) direct = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    CgTestEndpointOptions relayed_opt = {
        .media = {.tone_hz = 660, .color_rgb = 0x00ff00, .relay_only = TRUE},
        .use_turn_from_joined = TRUE};
    g_autoptr(CgTestEndpoint) relayed =
        cg_test_endpoint_new(cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon),
                             c->tokens[1], &relayed_opt);
    cg_fx_wait_frames(direct, c->ids[1], 20);
    cg_fx_wait_frames(relayed, c->ids[0], 20);

    g_autofree char *expired = expired_turn_uri(port);
    CgTestEndpointOptions expired_opt = {
        .media = {
            .tone_hz = 880, .color_rgb = 0x0000ff, .relay_only = TRUE, .turn_server = expired}};
    g_autoptr(CgTestEndpoint) refused =
        cg_test_endpoint_new(cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon),
                             c->tokens[2], &expired_opt);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(refused, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    /* Nothing to wait for: an allocation that never succeeds has no event. */
    cg_test_run_for(6000);
    g_assert_cmpuint(cg_test_endpoint_frames_from(direct, c->ids[2]), ==, 0);
    g_assert_cmpuint(cg_test_endpoint_frames_from(refused, c->ids[0]), ==, 0);
    /* while the relayed endpoint still gets media */
    guint before = cg_test_endpoint_frames_from(relayed, c->ids[0]);
    cg_fx_wait_frames(relayed, c->ids[0], before + 10);

    g_subprocess_send_signal(turn, SIGTERM);
    g_subprocess_wait(turn, NULL, NULL);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* webrtcbin 1.22 releases its libnice agents without
     * nice_agent_close_async(), so libnice warns about pending TURN refreshes
     * whenever a relaying connection is torn down (their warning, harmless).
     * It bypasses g_test_log_set_fatal_handler(), so in this binary warnings
     * are not fatal; criticals still are, and every assertion stands. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/consult/turn_relay", test_turn_relay);
    return g_test_run();
}
