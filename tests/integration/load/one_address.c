/* integration-load-one-address: one loopback source address opens
 * ONE_ADDRESS_WSS idle WSS and ONE_ADDRESS_HALF half-open TLS connections,
 * more than all of consultd's connection slots at the harness default
 * (server.max_connections = 256), while a legitimate client at another
 * address (127.0.0.1) joins N_TIMED_JOINS times: each join must be answered
 * within JOIN_BOUND_MS. Prints how many of the one address's connections
 * consultd accepted; when a per-address maximum is given (MAX_PER_ADDRESS or
 * the env var CG_LOAD_MAX_PER_ADDRESS), asserts that no more WebSockets than
 * that from the one address were open at once. */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

#include "load_common.h"

#define ONE_ADDRESS "127.0.3.1"
#define ONE_ADDRESS_WSS 200
#define ONE_ADDRESS_HALF 100
#define N_TIMED_JOINS 4
#define JOIN_BOUND_MS 1000
#define SETTLE_MS 1000
/* The most concurrent connections consultd keeps from one client address:
 * server.max_connections_per_address, whose default (64) the harness keeps
 * (0 would only print the figure). CG_LOAD_MAX_PER_ADDRESS overrides it. */
#define MAX_PER_ADDRESS 64

static guint max_per_address(void)
{
    const char *env = g_getenv("CG_LOAD_MAX_PER_ADDRESS");
    return env ? (guint)g_ascii_strtoull(env, NULL, 10) : MAX_PER_ADDRESS;
}

static gboolean all_launched(gpointer data)
{
    json_t *last = it_load_last(data);
    return last && it_load_total(last, "attempts") >= ONE_ADDRESS_WSS + ONE_ADDRESS_HALF;
}

static void test_one_address(void)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions opts = {0};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&opts);
    static const char *const roles[] = {"specialist", "observer", "observer", "observer",
                                        "observer",   "observer", NULL};
    static const char *const names[] = {"Dr. Lee", "Obs A", "Obs B", "Obs C",
                                        "Obs D",   "Obs E", NULL};
    g_autoptr(CgTestConsult) c =
        cg_test_create_consult(daemon, 0, "virtual_consult", roles, names, &error);
    g_assert_no_error(error);
    gint64 quiet_join = it_timed_join(daemon, c->tokens[1], 5000);
    g_assert_cmpint(quiet_join, >=, 0);

    g_autofree char *wss_arg = g_strdup_printf("--idle=%u", ONE_ADDRESS_WSS);
    g_autofree char *half_arg = g_strdup_printf("--half=%u", ONE_ADDRESS_HALF);
    const char *const args[] = {
        wss_arg,           half_arg,          "--sources=1", "--source-base=" ONE_ADDRESS,
        "--duration-s=60", "--report-ms=100", NULL};
    g_autoptr(ItLoad) gen = it_load_start(cg_test_daemon_port(daemon), args);
    g_assert_true(cg_test_wait_until(all_launched, gen, 10000));
    it_run_for(SETTLE_MS);
    guint half_held = it_load_count(it_load_last(gen), "half", "open");

    gint64 joins[N_TIMED_JOINS];
    for (guint i = 0; i < N_TIMED_JOINS; i++)
        joins[i] = it_timed_join(daemon, c->tokens[2 + i], 5000);
    json_t *summary = it_load_stop(gen, 10000);
    g_assert_nonnull(summary);
    guint wss_peak = it_load_max(gen, "idle", "peak_open");
    printf("one address: %u WSS and %u half-open TLS from " ONE_ADDRESS ": %u WebSockets "
           "accepted (most open at once %u), %u refused or timed out; %u half-open still "
           "open %u ms after the last connect; joins from 127.0.0.1: %.0f ms before, "
           "%.0f/%.0f/%.0f/%.0f ms during (-1: not answered in 5 s)\n",
           ONE_ADDRESS_WSS, ONE_ADDRESS_HALF, it_load_count(summary, "idle", "opened"), wss_peak,
           it_load_count(summary, "idle", "failed"), half_held, SETTLE_MS, it_join_ms(quiet_join),
           it_join_ms(joins[0]), it_join_ms(joins[1]), it_join_ms(joins[2]), it_join_ms(joins[3]));
    fflush(stdout);

    for (guint i = 0; i < N_TIMED_JOINS; i++) {
        g_assert_cmpint(joins[i], >=, 0);
        g_assert_cmpint(joins[i], <, (gint64)cg_test_scaled_ms(JOIN_BOUND_MS) * 1000);
    }
    guint max = max_per_address();
    if (max)
        g_assert_cmpuint(wss_peak, <=, max);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/load/one_address", test_one_address);
    return g_test_run();
}
