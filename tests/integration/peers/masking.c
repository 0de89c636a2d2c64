/* integration-peers-masking: a client frame without the mask bit is not
 * processed; the socket is closed with 1002 (RFC 6455 §5.1; issue 9 finding
 * 12). Masked frames around it behave as always, and other sockets are not
 * affected. */
#include <string.h>

#include "peers_common.h"

/* A message the daemon answers (error unknown_type) if it processes it. */
static const char probe[] = "{\"type\":\"dance\"}";

static CgTestDaemon *start(void)
{
    CgTestDaemonOptions o = {0};
    g_autoptr(GError) error = NULL;
    CgTestDaemon *daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    return daemon;
}

static void expect_closed_unanswered(PtRaw *raw)
{
    guint status = 0, n_errors = 0;
    g_autofree char *reason = NULL;
    g_assert_true(pt_ws_read_until_close(raw, &status, &reason, &n_errors));
    g_assert_cmpuint(status, ==, 1002);
    g_assert_cmpstr(reason, ==, "unmasked_frame");
    g_assert_cmpuint(n_errors, ==, 0);
}

static void test_first_frame_unmasked(void)
{
    g_autoptr(CgTestDaemon) daemon = start();
    g_autoptr(PtRaw) raw = pt_raw_connect(daemon);
    pt_ws_upgrade(raw);
    g_assert_true(pt_ws_send(raw, CG_WS_OPCODE_TEXT, FALSE, probe, strlen(probe), NULL));
    expect_closed_unanswered(raw);
}

static void test_unmasked_after_masked(void)
{
    g_autoptr(CgTestDaemon) daemon = start();
    g_autoptr(PtRaw) raw = pt_raw_connect(daemon);
    g_autoptr(PtRaw) other = pt_raw_connect(daemon);
    pt_ws_upgrade(raw);
    pt_ws_upgrade(other);
    /* A masked frame is answered as always... */
    g_assert_true(pt_ws_send(raw, CG_WS_OPCODE_TEXT, TRUE, probe, strlen(probe), NULL));
    guint8 opcode = 0;
    GBytes *payload = NULL;
    g_assert_true(pt_ws_read(raw, &opcode, &payload));
    g_assert_nonnull(strstr(g_bytes_get_data(payload, NULL), "unknown_type"));
    g_bytes_unref(payload);
    /* ...an unmasked one (a long one: 16-bit length) ends the socket. */
    char big[300];
    memset(big, ' ', sizeof big);
    memcpy(big, probe, strlen(probe));
    g_assert_true(pt_ws_send(raw, CG_WS_OPCODE_TEXT, FALSE, big, sizeof big, NULL));
    expect_closed_unanswered(raw);
    /* Another socket is not affected. */
    g_assert_true(pt_ws_send(other, CG_WS_OPCODE_TEXT, TRUE, probe, strlen(probe), NULL));
    g_assert_true(pt_ws_read(other, &opcode, &payload));
    g_assert_nonnull(strstr(g_bytes_get_data(payload, NULL), "unknown_type"));
    g_bytes_unref(payload);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/peers/masking/first-frame", test_first_frame_unmasked);
    g_test_add_func("/peers/masking/after-masked", test_unmasked_after_masked);
    return g_test_run();
}
