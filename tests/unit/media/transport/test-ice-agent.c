/* unit-ice-agent: cg_ice_agent between two in-process agents on 127.0.0.1.
 *
 * The test carries credentials and trickled candidates between the peers
 * itself, from the callbacks (which the module delivers from its main
 * context, never from inside an API call), and drives its own GMainContext
 * with a deadline instead of sleeping. */
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

#include "address_policy.h"
#include "ice_agent.h"

#define CONNECT_DEADLINE_MS 10000
#define DATA_DEADLINE_MS 5000
#define FAIL_DEADLINE_MS 12000 /* libnice waits a fixed 5 s after the last pair fails */

typedef struct Peer Peer;

struct Peer {
    const char *name;
    CgIceAgent *agent;
    Peer *other;
    GPtrArray *candidates; /* char *: every local candidate line delivered */
    gboolean done;         /* local_candidates_done seen */
    guint n_done;
    CgIceState state;
    guint n_connected; /* transitions into CONNECTED */
    guint n_connecting;
    gboolean forward;    /* hand candidates and end-of-candidates to other */
    GPtrArray *received; /* GBytes */
};

typedef struct {
    GMainContext *ctx;
    CgAddressPolicy *policy;
    Peer a; /* controlling (the offerer) */
    Peer b; /* controlled */
    guint fds_before;
} Pair;

static const char *const loopback[] = {"127.0.0.1", NULL};
static const char *const loopback_net[] = {"127.0.0.0/8", NULL};

static guint count_fds(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;
    while (dir && g_dir_read_name(dir))
        n++;
    return n;
}

/* ---- callbacks ---- */

static void on_candidate(gpointer user, const char *candidate)
{
    Peer *p = user;
    g_ptr_array_add(p->candidates, g_strdup(candidate));
    if (p->forward && p->other->agent) {
        g_autoptr(GError) error = NULL;
        gboolean ok = cg_ice_agent_add_remote_candidate(p->other->agent, candidate, &error);
        g_assert_no_error(error);
        g_assert_true(ok);
    }
}

static void on_candidates_done(gpointer user)
{
    Peer *p = user;
    p->done = TRUE;
    p->n_done++;
    if (p->forward && p->other->agent)
        cg_ice_agent_remote_end_of_candidates(p->other->agent);
}

static void on_state(gpointer user, CgIceState state)
{
    Peer *p = user;
    g_test_message("%s: %s", p->name, cg_ice_state_name(state));
    g_assert_cmpint(state, !=, p->state); /* the module never repeats a state */
    p->state = state;
    if (state == CG_ICE_STATE_CONNECTED)
        p->n_connected++;
    if (state == CG_ICE_STATE_CONNECTING)
        p->n_connecting++;
}

static void on_receive(gpointer user, const guint8 *datagram, gsize len)
{
    Peer *p = user;
    g_ptr_array_add(p->received, g_bytes_new(datagram, len));
}

static const CgIceAgentCallbacks callbacks = {
    .local_candidate = on_candidate,
    .local_candidates_done = on_candidates_done,
    .state_changed = on_state,
    .receive = on_receive,
};

/* ---- harness ---- */

static gboolean deadline_reached(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs @ctx until @cond holds or @ms pass; returns @cond's last value. */
static gboolean run_until(GMainContext *ctx, gboolean (*cond)(Pair *), Pair *pair, guint ms)
{
    gboolean expired = FALSE;
    GSource *timer = g_timeout_source_new(ms);
    g_source_set_callback(timer, deadline_reached, &expired, NULL);
    g_source_attach(timer, ctx);
    while (!cond(pair) && !expired)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    return cond(pair);
}

static void peer_init(Peer *p, const char *name, Peer *other)
{
    p->name = name;
    p->other = other;
    p->candidates = g_ptr_array_new_with_free_func(g_free);
    p->received = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->forward = TRUE;
}

static CgIceAgent *make_agent(Pair *pair, Peer *p, gboolean controlling, gboolean tcp_only)
{
    CgIceAgentConfig config = {
        .local_addresses = loopback,
        .ice_tcp = tcp_only,
        .tcp_only_for_testing = tcp_only,
        .policy = pair->policy,
    };
    g_autoptr(GError) error = NULL;
    CgIceAgent *agent = cg_ice_agent_new(&config, controlling, pair->ctx, &callbacks, p, &error);
    g_assert_no_error(error);
    g_assert_nonnull(agent);
    cg_ice_agent_set_log_tag(agent, p->name);
    return agent;
}

static void pair_init(Pair *pair, gboolean tcp_only)
{
    memset(pair, 0, sizeof(*pair));
    pair->fds_before = count_fds();
    pair->ctx = g_main_context_new();
    g_autoptr(GError) error = NULL;
    pair->policy = cg_address_policy_new(loopback_net, &error);
    g_assert_no_error(error);
    peer_init(&pair->a, "[a]", &pair->b);
    peer_init(&pair->b, "[b]", &pair->a);
    pair->a.agent = make_agent(pair, &pair->a, TRUE, tcp_only);
    pair->b.agent = make_agent(pair, &pair->b, FALSE, tcp_only);
}

static void exchange_credentials(Pair *pair)
{
    const char *ufrag, *pwd;
    g_autoptr(GError) error = NULL;
    cg_ice_agent_local_credentials(pair->a.agent, &ufrag, &pwd);
    g_assert_true(cg_ice_agent_set_remote_credentials(pair->b.agent, ufrag, pwd, &error));
    cg_ice_agent_local_credentials(pair->b.agent, &ufrag, &pwd);
    g_assert_true(cg_ice_agent_set_remote_credentials(pair->a.agent, ufrag, pwd, &error));
    g_assert_no_error(error);
}

static gboolean both_connected(Pair *pair)
{
    return pair->a.state == CG_ICE_STATE_CONNECTED && pair->b.state == CG_ICE_STATE_CONNECTED;
}

static void pair_connect(Pair *pair)
{
    exchange_credentials(pair);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_ice_agent_gather(pair->a.agent, &error));
    g_assert_true(cg_ice_agent_gather(pair->b.agent, &error));
    g_assert_no_error(error);
    g_assert_true(run_until(pair->ctx, both_connected, pair, CONNECT_DEADLINE_MS));
    g_assert_cmpint(cg_ice_agent_get_state(pair->a.agent), ==, CG_ICE_STATE_CONNECTED);
}

static void pair_clear(Pair *pair)
{
    cg_ice_agent_free(pair->a.agent);
    cg_ice_agent_free(pair->b.agent);
    pair->a.agent = pair->b.agent = NULL;
    /* Let anything libnice left on the context run down, then drop it. */
    while (g_main_context_iteration(pair->ctx, FALSE))
        ;
    g_main_context_unref(pair->ctx);
    cg_address_policy_free(pair->policy);
    for (Peer *p = &pair->a; p <= &pair->b; p++) {
        g_ptr_array_unref(p->candidates);
        g_ptr_array_unref(p->received);
    }
    g_assert_cmpuint(count_fds(), ==, pair->fds_before);
}

static guint expected_count;

static gboolean both_received(Pair *pair)
{
    return pair->a.received->len >= expected_count && pair->b.received->len >= expected_count;
}

/* A datagram of @len bytes that is neither STUN nor empty: RTP-like first byte. */
static GBytes *make_datagram(gsize len, guint8 seed)
{
    guint8 *data = g_malloc(len);
    data[0] = 0x80;
    for (gsize i = 1; i < len; i++)
        data[i] = (guint8)(seed + i * 7);
    return g_bytes_new_take(data, len);
}

/* Sends a few datagrams each way and checks they arrive byte for byte. UDP on
 * loopback does not lose them; ICE-TCP cannot. */
static void check_datagrams(Pair *pair, guint8 seed)
{
    static const gsize sizes[] = {1, 160, 1200, 1500};
    g_ptr_array_set_size(pair->a.received, 0);
    g_ptr_array_set_size(pair->b.received, 0);
    g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
        GBytes *d = make_datagram(sizes[i], (guint8)(seed + i));
        g_ptr_array_add(sent, d);
        gsize len;
        const guint8 *bytes = g_bytes_get_data(d, &len);
        g_assert_true(cg_ice_agent_send(pair->a.agent, bytes, len));
        g_assert_true(cg_ice_agent_send(pair->b.agent, bytes, len));
    }
    gint64 before = g_get_monotonic_time();
    expected_count = G_N_ELEMENTS(sizes);
    g_assert_true(run_until(pair->ctx, both_received, pair, DATA_DEADLINE_MS));
    for (Peer *p = &pair->a; p <= &pair->b; p++) {
        g_assert_cmpuint(p->received->len, ==, sent->len);
        for (guint i = 0; i < sent->len; i++)
            g_assert_true(
                g_bytes_equal(g_ptr_array_index(p->received, i), g_ptr_array_index(sent, i)));
        g_assert_cmpint(cg_ice_agent_last_receive_us(p->agent), >=, before);
    }
}

/* ---- tests ---- */

static void test_connect(void)
{
    Pair pair;
    pair_init(&pair, FALSE);
    static const guint8 early[] = {0x80, 1, 2, 3};
    g_assert_false(cg_ice_agent_send(pair.a.agent, early, sizeof(early)));
    g_assert_null(cg_ice_agent_selected_pair(pair.a.agent));
    g_assert_cmpint(cg_ice_agent_last_receive_us(pair.a.agent), ==, 0);
    pair_connect(&pair);
    for (Peer *p = &pair.a; p <= &pair.b; p++) {
        g_autofree char *sel = cg_ice_agent_selected_pair(p->agent);
        g_test_message("%s selected %s", p->name, sel);
        g_assert_nonnull(sel);
        g_assert_true(g_str_has_prefix(sel, "udp 127.0.0.1:"));
        g_assert_nonnull(strstr(sel, " -> 127.0.0.1:"));
    }
    check_datagrams(&pair, 1);
    g_assert_false(cg_ice_agent_send(pair.a.agent, early, 0));
    pair_clear(&pair);
}

static gboolean both_done(Pair *pair)
{
    return pair->a.done && pair->b.done;
}

/* Every local candidate, UDP and TCP, is on 127.0.0.1 although this host has
 * other interfaces; no active TCP candidate is signalled. */
static void test_only_configured_address(void)
{
    Pair pair;
    pair_init(&pair, FALSE);
    cg_ice_agent_free(pair.b.agent);
    pair.b.agent = NULL;
    pair.a.forward = FALSE;

    g_autoptr(GError) error = NULL;
    CgIceAgentConfig config = {.local_addresses = loopback, .ice_tcp = TRUE, .policy = pair.policy};
    pair.b.agent = cg_ice_agent_new(&config, FALSE, pair.ctx, &callbacks, &pair.b, &error);
    g_assert_no_error(error);
    pair.b.forward = FALSE;
    g_assert_true(cg_ice_agent_gather(pair.a.agent, &error));
    g_assert_true(cg_ice_agent_gather(pair.b.agent, &error));
    g_assert_no_error(error);
    g_assert_true(run_until(pair.ctx, both_done, &pair, CONNECT_DEADLINE_MS));

    gboolean saw_tcp = FALSE;
    for (Peer *p = &pair.a; p <= &pair.b; p++) {
        g_assert_cmpuint(p->candidates->len, >, 0);
        for (guint i = 0; i < p->candidates->len; i++) {
            const char *line = g_ptr_array_index(p->candidates, i);
            g_test_message("%s %s", p->name, line);
            g_assert_true(g_str_has_prefix(line, "candidate:"));
            g_autofree char *addr = cg_candidate_address(line);
            g_assert_cmpstr(addr, ==, "127.0.0.1");
            g_assert_null(strstr(line, "tcptype active"));
            if (strstr(line, " TCP "))
                saw_tcp = TRUE;
        }
    }
    g_assert_true(saw_tcp); /* the ICE-TCP agent gathered passive TCP */
    pair_clear(&pair);
}

static void expect_refused(CgIceAgent *agent, const char *line, CgIceError code, const char *why)
{
    g_autoptr(GError) error = NULL;
    g_test_message("refuse %s", line ? line : "(null)");
    g_assert_false(cg_ice_agent_add_remote_candidate(agent, line, &error));
    g_assert_error(error, CG_ICE_ERROR, code);
    if (why)
        g_assert_nonnull(strstr(error->message, why));
}

static void test_remote_candidate_refusals(void)
{
    Pair pair;
    pair_init(&pair, FALSE);
    CgIceAgent *agent = pair.b.agent;

    expect_refused(agent, "candidate:1 1 UDP 2122252543 10.0.0.1 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(agent, "candidate:1 1 UDP 2122252543 169.254.169.254 80 typ host",
                   CG_ICE_ERROR_REFUSED, "link-local");
    expect_refused(agent, "a=candidate:1 1 UDP 2122252543 192.168.1.1 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(agent, "candidate:1 1 TCP 1518280447 10.0.0.1 9 typ host tcptype active",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(agent, "candidate:1 1 UDP 2122252543 0a1b2c3d-1111.local 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "not an IP address");
    /* IPv6 forms that reach an IPv4 host are judged as that host (finding 7). */
    expect_refused(agent, "candidate:1 1 UDP 2122252543 ::ffff:10.0.0.1 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(agent, "candidate:1 1 UDP 2122252543 ::10.0.0.1 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(agent,
                   "candidate:1 1 TCP 1518280447 64:ff9b::a9fe:a9fe 80 typ host tcptype passive",
                   CG_ICE_ERROR_REFUSED, "link-local");
    expect_refused(agent, "candidate:1 1 UDP 2122252543 2002:c0a8:101::1 5000 typ host",
                   CG_ICE_ERROR_REFUSED, "private");
    expect_refused(
        agent, "candidate:1 1 UDP 2122252543 2001:0:4136:e378:8000:63bf:f5ff:fffe 5000 typ host",
        CG_ICE_ERROR_REFUSED, "private");

    expect_refused(agent, NULL, CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "", CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "hello", CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "candidate:1 1 UDP", CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "candidate:1 1 UDP 2122252543 127.0.0.1 notaport typ host",
                   CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "candidate:1 1 UDP 2122252543 127.0.0.1 0 typ host",
                   CG_ICE_ERROR_MALFORMED, "port 0");
    expect_refused(agent, "candidate:1 1 UDP 2122252543 127.0.0.1 70000 typ host",
                   CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "candidate:1 1 UDP 2122252543 127.0.0.1 5000 typ bogus",
                   CG_ICE_ERROR_MALFORMED, NULL);
    expect_refused(agent, "candidate:1 2 UDP 2122252543 127.0.0.1 5000 typ host",
                   CG_ICE_ERROR_MALFORMED, "component");
    g_autofree char *long_line =
        g_strdup_printf("candidate:1 1 UDP 2122252543 127.0.0.1 5000 typ host %*s", 1100, "x");
    expect_refused(agent, long_line, CG_ICE_ERROR_LIMIT, NULL);

    g_autoptr(GError) error = NULL;
    for (guint i = 0; i < CG_MEDIA_MAX_REMOTE_CANDIDATES; i++) {
        g_autofree char *line =
            g_strdup_printf("candidate:%u 1 UDP 2122252543 127.0.0.1 %u typ host", i, 40000 + i);
        g_assert_true(cg_ice_agent_add_remote_candidate(agent, line, &error));
        g_assert_no_error(error);
    }
    expect_refused(agent, "candidate:99 1 UDP 2122252543 127.0.0.1 39999 typ host",
                   CG_ICE_ERROR_LIMIT, "too many");

    /* Credentials from the peer. */
    static const char *const bad_creds[][2] = {
        {"abc", "0123456789012345678901"},       /* ufrag too short */
        {"abcd", "0123456789"},                  /* pwd too short */
        {"ab-d", "0123456789012345678901"},      /* not an ice-char */
        {"abcd", "01234567890123456789\r\na=x"}, /* injection */
        {NULL, "0123456789012345678901"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad_creds); i++) {
        g_clear_error(&error);
        g_assert_false(
            cg_ice_agent_set_remote_credentials(agent, bad_creds[i][0], bad_creds[i][1], &error));
        g_assert_error(error, CG_ICE_ERROR, CG_ICE_ERROR_MALFORMED);
    }
    g_clear_error(&error);
    g_assert_true(
        cg_ice_agent_set_remote_credentials(agent, "abcd", "ab+/0123456789012345678", &error));
    g_assert_no_error(error);
    pair_clear(&pair);
}

static void test_bad_config(void)
{
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(loopback_net, &error);
    static const char *const none[] = {NULL};
    static const char *const name[] = {"localhost", NULL};
    const CgIceAgentConfig bad[] = {
        {.local_addresses = NULL, .policy = policy},
        {.local_addresses = none, .policy = policy},
        {.local_addresses = name, .policy = policy},
        {.local_addresses = loopback, .policy = NULL},
        {.local_addresses = loopback, .port_min = 5000, .port_max = 4000, .policy = policy},
        {.local_addresses = loopback, .port_max = 4000, .policy = policy},
        {.local_addresses = loopback, .stun_server = "stun.example.org:3478", .policy = policy},
        {.local_addresses = loopback, .tcp_only_for_testing = TRUE, .policy = policy},
        {.local_addresses = loopback, .check_retransmissions = 17, .policy = policy},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        g_assert_null(cg_ice_agent_new(&bad[i], TRUE, NULL, &callbacks, NULL, &error));
        g_assert_error(error, CG_ICE_ERROR, CG_ICE_ERROR_CONFIG);
    }
    g_clear_error(&error);
    CgIceAgentConfig good = {.local_addresses = loopback,
                             .port_min = 40000,
                             .port_max = 40100,
                             .stun_server = "192.0.2.1:3478",
                             .policy = policy};
    CgIceAgent *agent = cg_ice_agent_new(&good, TRUE, NULL, &callbacks, NULL, &error);
    g_assert_no_error(error);
    cg_ice_agent_free(agent);
    cg_address_policy_free(policy);
}

static void dup_credentials(CgIceAgent *agent, char **ufrag, char **pwd)
{
    const char *u, *p;
    cg_ice_agent_local_credentials(agent, &u, &p);
    *ufrag = g_strdup(u);
    *pwd = g_strdup(p);
}

static gboolean both_reconnected(Pair *pair)
{
    return both_connected(pair) && pair->a.n_done == 2 && pair->b.n_done == 2 &&
           pair->a.n_connected == 2 && pair->b.n_connected == 2;
}

static void test_restart(void)
{
    Pair pair;
    pair_init(&pair, FALSE);
    pair_connect(&pair);
    check_datagrams(&pair, 2);
    g_assert_true(run_until(pair.ctx, both_done, &pair, CONNECT_DEADLINE_MS));

    g_autofree char *ua = NULL, *pa = NULL, *ub = NULL, *pb = NULL;
    dup_credentials(pair.a.agent, &ua, &pa);
    dup_credentials(pair.b.agent, &ub, &pb);
    guint n_cands_a = pair.a.candidates->len;

    g_autoptr(GError) error = NULL;
    g_assert_true(cg_ice_agent_restart(pair.a.agent, &error));
    g_assert_true(cg_ice_agent_restart(pair.b.agent, &error));
    g_assert_no_error(error);
    /* The candidates come again from an idle, not from inside restart(). */
    g_assert_cmpuint(pair.a.candidates->len, ==, n_cands_a);
    exchange_credentials(&pair);

    const char *u, *p;
    cg_ice_agent_local_credentials(pair.a.agent, &u, &p);
    g_assert_cmpstr(u, !=, ua);
    g_assert_cmpstr(p, !=, pa);
    cg_ice_agent_local_credentials(pair.b.agent, &u, &p);
    g_assert_cmpstr(u, !=, ub);
    g_assert_cmpstr(p, !=, pb);

    g_assert_true(run_until(pair.ctx, both_reconnected, &pair, CONNECT_DEADLINE_MS));
    g_assert_cmpuint(pair.a.candidates->len, ==, 2 * n_cands_a);
    check_datagrams(&pair, 3);
    pair_clear(&pair);
}

static void test_tcp_only(void)
{
    Pair pair;
    pair_init(&pair, TRUE);
    pair_connect(&pair);
    for (Peer *p = &pair.a; p <= &pair.b; p++) {
        for (guint i = 0; i < p->candidates->len; i++)
            g_assert_nonnull(strstr(g_ptr_array_index(p->candidates, i), " TCP "));
        g_autofree char *sel = cg_ice_agent_selected_pair(p->agent);
        g_test_message("%s selected %s", p->name, sel);
        g_assert_true(g_str_has_prefix(sel, "tcp 127.0.0.1:"));
    }
    check_datagrams(&pair, 4);
    pair_clear(&pair);
}

static gboolean b_settled(Pair *pair)
{
    return pair->b.state == CG_ICE_STATE_FAILED || pair->b.state == CG_ICE_STATE_CONNECTED;
}

/* A peer that never answers: a UDP socket that is bound and never read. */
static void test_failure(void)
{
    Pair pair;
    pair_init(&pair, FALSE);
    /* Fail sooner than libnice's default would. */
    cg_ice_agent_free(pair.b.agent);
    CgIceAgentConfig config = {
        .local_addresses = loopback, .check_retransmissions = 3, .policy = pair.policy};
    g_autoptr(GError) error = NULL;
    pair.b.agent = cg_ice_agent_new(&config, FALSE, pair.ctx, &callbacks, &pair.b, &error);
    g_assert_no_error(error);
    g_autoptr(GSocket) sink =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
    g_assert_no_error(error);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(sink, any, FALSE, &error));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sink, &error);
    g_assert_no_error(error);
    guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

    pair.b.forward = FALSE;
    g_assert_true(cg_ice_agent_set_remote_credentials(pair.b.agent, "bogus",
                                                      "bogusbogusbogusbogusbogus", &error));
    g_autofree char *line =
        g_strdup_printf("candidate:1 1 UDP 2122252543 127.0.0.1 %u typ host", port);
    g_assert_true(cg_ice_agent_add_remote_candidate(pair.b.agent, line, &error));
    cg_ice_agent_remote_end_of_candidates(pair.b.agent);
    g_assert_true(cg_ice_agent_gather(pair.b.agent, &error));
    g_assert_no_error(error);

    gint64 start = g_get_monotonic_time();
    gboolean settled = run_until(pair.ctx, b_settled, &pair, FAIL_DEADLINE_MS);
    g_test_message("after %" G_GINT64_FORMAT " ms: %s", (g_get_monotonic_time() - start) / 1000,
                   cg_ice_state_name(pair.b.state));
    g_assert_cmpuint(pair.b.n_connected, ==, 0);
    g_assert_false(cg_ice_agent_send(pair.b.agent, (const guint8 *)"\x80x", 2));
    g_assert_true(settled);
    g_assert_cmpint(pair.b.state, ==, CG_ICE_STATE_FAILED);
    g_clear_object(&sink); /* before pair_clear's fd count */
    pair_clear(&pair);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ice-agent/connect", test_connect);
    g_test_add_func("/ice-agent/only-configured-address", test_only_configured_address);
    g_test_add_func("/ice-agent/remote-candidate-refusals", test_remote_candidate_refusals);
    g_test_add_func("/ice-agent/bad-config", test_bad_config);
    g_test_add_func("/ice-agent/restart", test_restart);
    g_test_add_func("/ice-agent/tcp-only", test_tcp_only);
    g_test_add_func("/ice-agent/failure", test_failure);
    return g_test_run();
}
